using System.Buffers;

namespace FastGate.Ai.Providers.OpenAi;

/// <summary>
/// <c>POST /v1/responses</c>: only OpenAI-kind providers serve it, so the body is passed on as it came (with
/// the target model) and the answer and its stream events come back untouched; this front checks the model,
/// reads <c>stream</c> and <c>max_output_tokens</c>, and writes errors in OpenAI's shape.
/// </summary>
public sealed class OpenAiResponsesFront : FrontCodec
{
    public override ClientApi Api => ClientApi.OpenAiResponses;

    public override bool TryReadRequest(ReadOnlySpan<byte> body, IBufferWriter<byte> pivot, out RequestFacts facts, out AiError error) =>
        OpenAiRequestReader.TryRead(ClientApi.OpenAiResponses, body, pivot, out facts, out error);

    public override void WriteResponse(ReadOnlySpan<byte> pivot, in TokenUsage usage, IBufferWriter<byte> output) => output.Write(pivot);

    public override void WriteError(in AiError error, IBufferWriter<byte> output) => OpenAiErrors.Write(error, output);

    public override FrontStreamEncoder NewStreamEncoder() => new OpenAiResponsesStreamEncoder();
}
