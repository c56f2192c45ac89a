using System.Buffers;

namespace FastGate.Ai.Providers.OpenAi;

/// <summary>
/// <c>POST /v1/embeddings</c>: the request (a model and an input) and the answer are the OpenAI embeddings
/// shapes, copied. Embeddings never stream; the encoder it hands out only matters for an error event.
/// </summary>
public sealed class OpenAiEmbeddingsFront : FrontCodec
{
    public override ClientApi Api => ClientApi.OpenAiEmbeddings;

    public override bool TryReadRequest(ReadOnlySpan<byte> body, IBufferWriter<byte> pivot, out RequestFacts facts, out AiError error) =>
        OpenAiRequestReader.TryRead(ClientApi.OpenAiEmbeddings, body, pivot, out facts, out error);

    public override void WriteResponse(ReadOnlySpan<byte> pivot, in TokenUsage usage, IBufferWriter<byte> output) => output.Write(pivot);

    public override void WriteError(in AiError error, IBufferWriter<byte> output) => OpenAiErrors.Write(error, output);

    public override FrontStreamEncoder NewStreamEncoder() => new OpenAiChatStreamEncoder();
}
