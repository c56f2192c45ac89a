using System.Buffers;

namespace FastGate.Ai.Providers.Anthropic;

/// <summary>
/// The client side of <c>POST /v1/messages</c>: an Anthropic Messages request to the pivot, the
/// pivot answer back as an Anthropic <c>message</c>, streams as Anthropic's events, errors as
/// <c>{"type":"error","error":{...}}</c>.
/// </summary>
public sealed class AnthropicMessagesFront : FrontCodec
{
    public override ClientApi Api => ClientApi.AnthropicMessages;

    /// <summary>The pivot is written from the start of <paramref name="pivot"/>; the facts' model offsets count from there.</summary>
    public override bool TryReadRequest(ReadOnlySpan<byte> body, IBufferWriter<byte> pivot, out RequestFacts facts, out AiError error) =>
        AnthropicRequestReader.TryRead(countTokens: false, body, pivot, out facts, out error);

    public override void WriteResponse(ReadOnlySpan<byte> pivot, in TokenUsage usage, IBufferWriter<byte> output) =>
        AnthropicResponseWriter.Write(pivot, usage, output);

    public override void WriteError(in AiError error, IBufferWriter<byte> output) => AnthropicErrors.Write(error, output);

    public override FrontStreamEncoder NewStreamEncoder() => new AnthropicStreamEncoder();
}
