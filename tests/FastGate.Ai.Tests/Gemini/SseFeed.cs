using FastGate.Ai.Providers;
using FastGate.Core.Sse;

namespace FastGate.Ai.Tests.Gemini;

/// <summary>Feeds an SSE body to a stream decoder through <see cref="SseEventReader"/>, in pieces cut where a test says.</summary>
internal sealed class SseFeed
{
    public RecordingSink Sink { get; } = new();
    public TokenUsage Usage;
    /// <summary>The decoder called an event malformed.</summary>
    public bool Rejected { get; private set; }

    public static SseFeed Run(ProviderStreamDecoder decoder, ReadOnlySpan<byte> body, params int[] cuts)
    {
        var feed = new SseFeed();
        decoder.Reset(default);
        var reader = new SseEventReader();
        var start = 0;
        foreach (var cut in cuts.Append(body.Length))
        {
            reader.Append(body[start..cut]);
            start = cut;
            while (!feed.Rejected && reader.TryRead(out var sseEvent))
            {
                if (sseEvent.HasData && !decoder.OnEvent(sseEvent.EventType, sseEvent.Data, feed.Sink, ref feed.Usage))
                {
                    feed.Rejected = true;
                }
            }
        }
        return feed;
    }

    /// <summary>One byte at a time.</summary>
    public static SseFeed RunBytewise(ProviderStreamDecoder decoder, ReadOnlySpan<byte> body)
        => Run(decoder, body, Enumerable.Range(1, Math.Max(0, body.Length - 1)).ToArray());
}
