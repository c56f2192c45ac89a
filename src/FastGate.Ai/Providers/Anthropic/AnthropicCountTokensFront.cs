using System.Buffers;
using FastGate.Ai.Json;

namespace FastGate.Ai.Providers.Anthropic;

/// <summary>
/// The client side of <c>POST /v1/messages/count_tokens</c>: read like a Messages request
/// (<c>max_tokens</c> not required), answered <c>{"input_tokens":N}</c>.
/// </summary>
public sealed class AnthropicCountTokensFront : FrontCodec
{
    public override ClientApi Api => ClientApi.AnthropicCountTokens;

    public override bool TryReadRequest(ReadOnlySpan<byte> body, IBufferWriter<byte> pivot, out RequestFacts facts, out AiError error) =>
        AnthropicRequestReader.TryRead(countTokens: true, body, pivot, out facts, out error);

    public override void WriteResponse(ReadOnlySpan<byte> pivot, in TokenUsage usage, IBufferWriter<byte> output)
    {
        var writer = JsonWriters.For(output);
        writer.WriteStartObject();
        writer.WriteNumber("input_tokens"u8, usage.Input);
        writer.WriteEndObject();
        writer.Flush();
    }

    public override void WriteError(in AiError error, IBufferWriter<byte> output) => AnthropicErrors.Write(error, output);

    /// <summary>count_tokens never streams; an encoder is given for completeness.</summary>
    public override FrontStreamEncoder NewStreamEncoder() => new AnthropicStreamEncoder();
}
