using System.Text;
using FastGate.Ai.Stages;

namespace FastGate.Ai.Tests.Stages;

public class OpenAiChunkScanTests
{
    /// <summary>The two searches the scan replaced, as the reference it must agree with.</summary>
    private static bool Reference(ReadOnlySpan<byte> data)
    {
        if (data.IndexOf("\"error\""u8) >= 0)
        {
            return false;
        }
        var at = data.IndexOf("\"usage\""u8);
        if (at < 0)
        {
            return true;
        }
        var rest = data[(at + 7)..].TrimStart(" \t"u8);
        if (rest.IsEmpty || rest[0] != (byte)':')
        {
            return false;
        }
        rest = rest[1..].TrimStart(" \t"u8);
        return rest.StartsWith("null"u8) && rest[4..].IndexOf("\"usage\""u8) < 0;
    }

    public static TheoryData<string, bool> Chunks => new()
    {
        { """{"id":"c1","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":" tok"},"finish_reason":null}],"usage":null}""", true },
        { """{"id":"c1","choices":[{"index":0,"delta":{"content":"hi"}}]}""", true },
        { """{"id":"c1","choices":[],"usage":{"prompt_tokens":5,"completion_tokens":7,"total_tokens":12}}""", false },
        { """{"id":"c1","choices":[{"delta":{}}],"usage" : null }""", true },
        { """{"id":"c1","choices":[{"delta":{}}],"usage":null,"x":{"usage":null}}""", false },
        { """{"error":{"message":"overloaded","type":"server_error"}}""", false },
        // Escaped quotes inside a string name nothing.
        { """{"id":"c1","choices":[{"delta":{"content":"an \"error\" in text"}}],"usage":null}""", true },
        { """{"id":"c1","choices":[{"delta":{"content":"errors and usages"}}],"usage":null}""", true },
        { """{"usage":nul""", false },
        { """{"usage":""", false },
        { "", true },
    };

    [Theory]
    [MemberData(nameof(Chunks))]
    public void NamesNeitherUsageNorError_AtEveryOffset_AgreesWithTheSearches(string chunk, bool expected)
    {
        // Shifted by a prefix of every length, each name falls at every place of a vector and in the scalar tail.
        for (var pad = 0; pad < 40; pad++)
        {
            var data = Encoding.UTF8.GetBytes(new string(' ', pad) + chunk);

            Assert.Equal(expected, OpenAiChunkScan.NamesNeitherUsageNorError(data));
            Assert.Equal(Reference(data), OpenAiChunkScan.NamesNeitherUsageNorError(data));
        }
    }

    [Theory]
    [MemberData(nameof(Chunks))]
    public void PlainLineLength_AtEveryOffset_AgreesWithTheScanOfTheLine(string chunk, bool expected)
    {
        // The line followed by what a stream puts after it: its blank line and the next event,
        // which names what the line does not (a usage and an error), so reading past the line shows.
        const string next = "\n\ndata: {\"error\":1,\"usage\":{\"x\":1}}\n\n";
        for (var pad = 0; pad < 40; pad++)
        {
            var line = Encoding.UTF8.GetBytes(new string(' ', pad) + chunk);
            var data = Encoding.UTF8.GetBytes(new string(' ', pad) + chunk + next);

            Assert.Equal(expected ? line.Length : -1, OpenAiChunkScan.PlainLineLength(data));
            Assert.Equal(OpenAiChunkScan.NamesNeitherUsageNorError(line) ? line.Length : -1, OpenAiChunkScan.PlainLineLength(data));
        }
    }

    [Fact]
    public void PlainLineLength_CrBeforeTheLineEnd_AtEveryPlace_NotPlain()
    {
        // A CR anywhere before the \n (a CRLF, a lone CR) is a line end of another shape: -1,
        // whether the CR falls in a vector or in the scalar tail.
        var chunk = """{"id":"c1","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":" tok"},"finish_reason":null}],"usage":null}""";
        for (var pad = 0; pad < 40; pad++)
        {
            var line = new string(' ', pad) + chunk;
            for (var at = 0; at <= line.Length; at++)
            {
                var data = Encoding.UTF8.GetBytes(line[..at] + "\r" + line[at..] + "\n\n");

                Assert.Equal(-1, OpenAiChunkScan.PlainLineLength(data));
            }
            Assert.Equal(line.Length, OpenAiChunkScan.PlainLineLength(Encoding.UTF8.GetBytes(line + "\n\r\n")));
        }
    }

    [Fact]
    public void PlainLineLength_EveryCutOfAChunk_AgreesWithTheScanOfTheLine()
    {
        // Every place the line can end (a newline over each byte) and every single-byte change
        // that makes a name: the one pass and the line's scan tell the same.
        var chunk = Encoding.UTF8.GetBytes("""{"id":"c1","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":" tok"},"finish_reason":null}],"usage":null,"x":"usage","y":"error"}""");
        for (var cut = 0; cut <= chunk.Length; cut++)
        {
            var data = new byte[chunk.Length + 1];
            chunk.CopyTo(data, 0);
            data[cut] = (byte)'\n';
            var line = data.AsSpan(0, cut);

            Assert.Equal(OpenAiChunkScan.NamesNeitherUsageNorError(line) ? cut : -1, OpenAiChunkScan.PlainLineLength(data));
        }
        Assert.Equal(-1, OpenAiChunkScan.PlainLineLength(chunk));
    }

    [Fact]
    public void PlainLineLength_RandomLinesOfNames_AgreesWithTheScanOfTheLine()
    {
        // Lines of names and near names at every place of a 32-byte step and across two, with a
        // line end in the same step or the next, or none: a seeded random, so a failure repeats.
        string[] pieces = ["\"usage\"", "\"error\"", "\"model\"", ":null", ": null", ":{", "x", " ", "\"", "\"usag", "e\"", "\\\"", "\r"];
        const string next = "\n\ndata: {\"error\":1,\"usage\":{\"x\":1}}\n\n";
        var random = new Random(12);
        var plain = 0;
        for (var n = 0; n < 20_000; n++)
        {
            var line = new StringBuilder();
            var count = random.Next(0, 40);
            for (var k = 0; k < count; k++)
            {
                line.Append(pieces[random.Next(pieces.Length)]);
            }
            var text = line.ToString();
            var after = random.Next(3) switch { 0 => "", 1 => "\n", _ => next };
            var data = Encoding.UTF8.GetBytes(text + after);
            var lineBytes = Encoding.UTF8.GetBytes(text);
            var expected = after.Length == 0 || text.Contains('\r') || !OpenAiChunkScan.NamesNeitherUsageNorError(lineBytes) ? -1 : lineBytes.Length;

            Assert.True(expected == OpenAiChunkScan.PlainLineLength(data), text + after);
            plain += expected >= 0 ? 1 : 0;
        }
        Assert.InRange(plain, 1_000, 19_000);
    }
}
