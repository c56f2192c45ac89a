using System.Buffers;

namespace FastGate.Ai.Providers;

/// <summary>Writes pivot chunks as the client protocol's stream events. One per streaming exchange, reset and reused.</summary>
public abstract class FrontStreamEncoder
{
    public abstract void Reset(in RequestFacts facts);

    /// <summary>The SSE events (whole, with their blank line) for one pivot chunk; may write nothing (a usage chunk the client did not ask for).</summary>
    public abstract void Chunk(ReadOnlySpan<byte> pivotChunk, IBufferWriter<byte> output);

    /// <summary>
    /// As <see cref="Chunk(ReadOnlySpan{byte}, IBufferWriter{byte})"/>, with the figures the provider has
    /// reported so far (its input count, when it tells it before the end): a client protocol that
    /// states usage up front (Anthropic's <c>message_start</c>) writes what is known.
    /// </summary>
    public virtual void Chunk(ReadOnlySpan<byte> pivotChunk, in TokenUsage usageSoFar, IBufferWriter<byte> output) => Chunk(pivotChunk, output);

    /// <summary>The stream's normal end (OpenAI <c>data: [DONE]</c>; Anthropic <c>message_delta</c> with usage and <c>message_stop</c>).</summary>
    public abstract void Done(in TokenUsage usage, IBufferWriter<byte> output);

    /// <summary>The error event that tells an SDK the stream failed (OpenAI <c>data: {"error":...}</c>; Anthropic <c>event: error</c>).</summary>
    public abstract void Error(in AiError error, IBufferWriter<byte> output);
}
