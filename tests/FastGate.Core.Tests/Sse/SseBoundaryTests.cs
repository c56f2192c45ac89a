using System.Text;
using FastGate.Core.Sse;

namespace FastGate.Core.Tests.Sse;

public class SseBoundaryTests
{
    [Theory]
    [InlineData("", true)]
    [InlineData("data: x", false)]
    [InlineData("data: x\n", false)]
    [InlineData("data: x\n\n", true)]
    [InlineData("data: x\r\n", false)]
    [InlineData("data: x\r\n\r", true)]
    [InlineData("data: x\r\n\r\n", true)]
    [InlineData("data: x\r\r", true)]
    [InlineData("data: x\r\n\n", true)]
    [InlineData("data: x\n\r", true)]
    [InlineData("data: x\n\nid: 2", false)]
    [InlineData("data: x\n\nid: 2\n", false)]
    [InlineData("\n", true)]
    [InlineData(": ping\n\n", true)]
    public void Advance_WholeStream_AtBoundaryOnlyAfterBlankLine(string stream, bool expected)
    {
        var boundary = SseBoundary.Start;
        boundary.Advance(Encoding.ASCII.GetBytes(stream));
        Assert.Equal(expected, boundary.AtBoundary);
        Assert.Equal(expected, Reference(stream));
    }

    [Fact]
    public void Advance_RandomStreamsInRandomPieces_SameAsReferenceAtEveryPiece()
    {
        var random = new Random(11);
        for (var round = 0; round < 500; round++)
        {
            var stream = RandomStream(random, random.Next(0, 60));
            var boundary = SseBoundary.Start;
            var at = 0;
            while (at < stream.Length)
            {
                var take = random.Next(1, Math.Min(8, stream.Length - at) + 1);
                boundary.Advance(Encoding.ASCII.GetBytes(stream.Substring(at, take)));
                at += take;
                Assert.True(Reference(stream[..at]) == boundary.AtBoundary, $"'{Escape(stream[..at])}'");
            }
        }
    }

    [Fact]
    public void AdvanceToBoundary_RandomStreams_EndsAtFirstBlankLineWithItsLf()
    {
        var random = new Random(7);
        for (var round = 0; round < 500; round++)
        {
            var stream = RandomStream(random, random.Next(1, 60));
            var split = random.Next(0, stream.Length);
            var boundary = SseBoundary.Start;
            boundary.Advance(Encoding.ASCII.GetBytes(stream[..split]));
            var rest = Encoding.ASCII.GetBytes(stream[split..]);
            var end = boundary.AdvanceToBoundary(rest);
            var expected = -1;
            for (var n = 1; n <= rest.Length; n++)
            {
                if (Reference(stream[..(split + n)]))
                {
                    // The LF of a CRLF that completed the blank line goes with it.
                    expected = rest[n - 1] == '\r' && n < rest.Length && rest[n] == '\n' ? n + 1 : n;
                    break;
                }
            }
            Assert.True(expected == end, $"'{Escape(stream[..split])}' + '{Escape(stream[split..])}': {end}, expected {expected}");
            if (end >= 0)
            {
                Assert.True(boundary.AtBoundary);
            }
        }
    }

    [Fact]
    public void AdvanceToBoundary_AfterCrBoundary_TakesTheLfOfItsCrlf()
    {
        var boundary = SseBoundary.Start;
        boundary.Advance("data: x\r\n\r"u8);
        Assert.True(boundary.AtBoundary);
        Assert.Equal(1, boundary.AdvanceToBoundary("\nid: 2"u8));
    }

    /// <summary>
    /// The prefix ends with a blank line: cut into content runs and line endings (CRLF one ending),
    /// the last token is an ending and the one before it is an ending too, or nothing.
    /// </summary>
    private static bool Reference(string stream)
    {
        var tokens = new List<bool>(); // true: a line ending
        for (var i = 0; i < stream.Length; i++)
        {
            if (stream[i] == '\r')
            {
                if (i + 1 < stream.Length && stream[i + 1] == '\n')
                {
                    i++;
                }
                tokens.Add(true);
            }
            else if (stream[i] == '\n')
            {
                tokens.Add(true);
            }
            else if (tokens.Count == 0 || tokens[^1])
            {
                tokens.Add(false);
            }
        }
        return tokens.Count == 0 || (tokens[^1] && (tokens.Count == 1 || tokens[^2]));
    }

    private static string RandomStream(Random random, int length)
    {
        const string alphabet = "ab: \r\n\n\r";
        var text = new char[length];
        for (var i = 0; i < length; i++)
        {
            text[i] = alphabet[random.Next(alphabet.Length)];
        }
        return new string(text);
    }

    private static string Escape(string text) => text.Replace("\r", "\\r").Replace("\n", "\\n");
}
