using System.Buffers;

namespace FastGate.Ai.Providers.OpenAi;

/// <summary>
/// <c>POST /v1/chat/completions</c>. The client's request is the pivot once checked (a JSON object with a
/// model and a messages array), and the pivot response is the client's answer: both are copied.
/// </summary>
public sealed class OpenAiChatFront : FrontCodec
{
    public override ClientApi Api => ClientApi.OpenAiChat;

    public override bool TryReadRequest(ReadOnlySpan<byte> body, IBufferWriter<byte> pivot, out RequestFacts facts, out AiError error) =>
        OpenAiRequestReader.TryRead(ClientApi.OpenAiChat, body, pivot, out facts, out error);

    public override void WriteResponse(ReadOnlySpan<byte> pivot, in TokenUsage usage, IBufferWriter<byte> output) => output.Write(pivot);

    public override void WriteError(in AiError error, IBufferWriter<byte> output) => OpenAiErrors.Write(error, output);

    public override FrontStreamEncoder NewStreamEncoder() => new OpenAiChatStreamEncoder();
}
