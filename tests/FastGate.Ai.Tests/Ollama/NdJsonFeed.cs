using FastGate.Ai.Providers;
using FastGate.Ai.Tests.Gemini;

namespace FastGate.Ai.Tests.Ollama;

/// <summary>
/// Feeds an NDJSON body to a stream decoder as the stage does: split into lines (without their
/// line break, a CR before it dropped) however the body was cut into pieces.
/// </summary>
internal sealed class NdJsonFeed
{
    public RecordingSink Sink { get; } = new();
    public TokenUsage Usage;
    public bool Rejected { get; private set; }

    public static NdJsonFeed Run(ProviderStreamDecoder decoder, ReadOnlySpan<byte> body, params int[] cuts)
    {
        var feed = new NdJsonFeed();
        decoder.Reset(default);
        var pending = new List<byte>();
        var start = 0;
        foreach (var cut in cuts.Append(body.Length))
        {
            foreach (var b in body[start..cut])
            {
                if (b != (byte)'\n')
                {
                    pending.Add(b);
                    continue;
                }
                var line = pending.ToArray().AsSpan();
                pending.Clear();
                if (!line.IsEmpty && line[^1] == (byte)'\r')
                {
                    line = line[..^1];
                }
                if (!feed.Rejected && !decoder.OnEvent(default, line, feed.Sink, ref feed.Usage))
                {
                    feed.Rejected = true;
                }
            }
            start = cut;
        }
        return feed;
    }

    public static NdJsonFeed RunBytewise(ProviderStreamDecoder decoder, ReadOnlySpan<byte> body)
        => Run(decoder, body, Enumerable.Range(1, Math.Max(0, body.Length - 1)).ToArray());
}
