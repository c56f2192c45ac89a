using System.Buffers;
using FastGate.Ai.Json;

namespace FastGate.Ai.Providers.OpenAi;

/// <summary>
/// The responses stream is passed through as the provider sent it (its decoder emits no chunks), so this
/// encoder adds nothing at the end; what it writes is the error event of the Responses API
/// (<c>event: error</c>, <c>{"type":"error","code":...,"message":...,"param":null}</c>) when the stream fails.
/// </summary>
internal sealed class OpenAiResponsesStreamEncoder : FrontStreamEncoder
{
    public override void Reset(in RequestFacts facts)
    {
    }

    public override void Chunk(ReadOnlySpan<byte> pivotChunk, IBufferWriter<byte> output) => OpenAiChatStreamEncoder.WriteData(pivotChunk, output);

    public override void Done(in TokenUsage usage, IBufferWriter<byte> output)
    {
        // The provider's response.completed already went to the client.
    }

    public override void Error(in AiError error, IBufferWriter<byte> output)
    {
        output.Write("event: error\ndata: "u8);
        var writer = JsonWriters.For(output);
        writer.WriteStartObject();
        writer.WriteString("type"u8, "error"u8);
        writer.WriteString("code"u8, error.Type);
        writer.WriteString("message"u8, error.Message);
        writer.WriteNull("param"u8);
        writer.WriteEndObject();
        writer.Flush();
        output.Write("\n\n"u8);
    }
}
