namespace FastGate.Ai.Providers;

/// <summary>
/// Turns one provider's streamed answer into pivot chunks, event by event, as it arrives. One per
/// streaming exchange, reset and reused; it holds the state the provider's events need between
/// them (Anthropic's message id and tool-call indexes, for example).
/// </summary>
public abstract class ProviderStreamDecoder
{
    public abstract void Reset(in RequestFacts facts);

    /// <summary>
    /// One SSE event (<paramref name="eventType"/> and its <paramref name="data"/>) or one NDJSON
    /// line (<paramref name="eventType"/> empty). Updates <paramref name="usage"/> from what the
    /// event reports. False when the event is malformed: the stream ends with an error.
    /// </summary>
    public abstract bool OnEvent(ReadOnlySpan<byte> eventType, ReadOnlySpan<byte> data, IPivotStreamSink sink, ref TokenUsage usage);
}
