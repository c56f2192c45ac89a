using System.Buffers;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using FastGate.Ai.Providers;
using FastGate.Core.Sse;

namespace FastGate.Ai.Tests.Anthropic;

/// <summary>Reads the files of TestData/anthropic (header lines, a blank line, the body) and feeds streams through the SSE reader.</summary>
internal static partial class AnthropicTestData
{
    public static byte[] Body(string name)
    {
        var text = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "TestData", "anthropic", name));
        var lines = text.Split('\n');
        var at = 0;
        while (at < lines.Length && lines[at].StartsWith('#'))
        {
            at++;
        }
        Assert.True(at > 0 && lines[at].Length == 0, $"{name}: header lines and a blank line first");
        return Encoding.UTF8.GetBytes(string.Join('\n', lines[(at + 1)..]));
    }

    /// <summary>The stream decoded after being cut into pieces at <paramref name="cuts"/> (byte offsets, ascending).</summary>
    public static RecordingSink Decode(ProviderStreamDecoder decoder, byte[] stream, params int[] cuts)
    {
        var sink = new RecordingSink();
        var usage = default(TokenUsage);
        decoder.Reset(default);
        var reader = new SseEventReader();
        var from = 0;
        foreach (var cut in cuts.Append(stream.Length))
        {
            reader.Append(stream.AsSpan(from, cut - from));
            from = cut;
            while (!sink.Failed && reader.TryRead(out var sse))
            {
                if (sse.IsCommentOnly)
                {
                    continue;
                }
                if (!decoder.OnEvent(sse.EventType, sse.Data, sink, ref usage))
                {
                    sink.Failed = true;
                }
            }
        }
        sink.Usage = usage;
        return sink;
    }

    /// <summary>Chunks with the <c>created</c> time taken out, so runs at different seconds compare equal.</summary>
    public static string Normalized(string chunk) => CreatedPattern().Replace(chunk, "\"created\":0");

    [GeneratedRegex("\"created\":\\d+")]
    private static partial Regex CreatedPattern();

    /// <summary>The events of an SSE body: their types and data parsed.</summary>
    public static List<(string Type, JsonNode Data)> Events(ReadOnlySpan<byte> sse)
    {
        var reader = new SseEventReader();
        reader.Append(sse);
        var events = new List<(string, JsonNode)>();
        while (reader.TryRead(out var e))
        {
            events.Add((Encoding.UTF8.GetString(e.EventType), JsonNode.Parse(e.Data)!));
        }
        Assert.True(reader.Pending.IsEmpty, "the encoder writes whole events");
        return events;
    }

    public static JsonNode Json(ArrayBufferWriter<byte> output) => JsonNode.Parse(output.WrittenSpan)!;
}
