using System.Buffers;

namespace FastGate.Ai.Providers.OpenAi;

/// <summary>
/// <c>POST /v1/embeddings</c>: the request (a model and an input) and the answer are the OpenAI embeddings
/// shapes, copied, but for vectors a provider gave as numbers when the client asked for base64.
/// Embeddings never stream; the encoder it hands out only matters for an error event.
/// </summary>
public sealed class OpenAiEmbeddingsFront : FrontCodec
{
    public override ClientApi Api => ClientApi.OpenAiEmbeddings;

    public override bool TryReadRequest(ReadOnlySpan<byte> body, IBufferWriter<byte> pivot, out RequestFacts facts, out AiError error) =>
        OpenAiRequestReader.TryRead(ClientApi.OpenAiEmbeddings, body, pivot, out facts, out error);

    public override void WriteResponse(ReadOnlySpan<byte> pivot, in TokenUsage usage, IBufferWriter<byte> output) => output.Write(pivot);

    /// <summary>As it came, or with its vectors in base64 when the client asked for <c>encoding_format: "base64"</c>.</summary>
    public override void WriteResponse(ReadOnlySpan<byte> pivot, in TokenUsage usage, in RequestFacts facts, IBufferWriter<byte> output)
    {
        if (facts.EmbeddingsAsBase64)
        {
            EmbeddingsBase64.Write(pivot, output);
        }
        else
        {
            output.Write(pivot);
        }
    }

    public override void WriteError(in AiError error, IBufferWriter<byte> output) => OpenAiErrors.Write(error, output);

    public override FrontStreamEncoder NewStreamEncoder() => new OpenAiChatStreamEncoder();
}
