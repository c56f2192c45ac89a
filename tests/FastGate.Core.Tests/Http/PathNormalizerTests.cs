using System.Text;
using FastGate.Core.Http;

namespace FastGate.Core.Tests.Http;

public class PathNormalizerTests
{
    private static (PathNormalizationResult Result, string Path) Normalize(string path, bool mergeSlashes = false, EscapedSlashAction escapedSlashes = EscapedSlashAction.Keep)
    {
        var source = Encoding.Latin1.GetBytes(path);
        var destination = new byte[source.Length];
        var result = PathNormalizer.Normalize(source, destination, mergeSlashes, escapedSlashes, out int written);
        return (result, Encoding.Latin1.GetString(destination, 0, written));
    }

    // RFC 3986 section 5.4 (normal and abnormal examples), as the merged paths against the base "/b/c/d;p".
    [Theory]
    [InlineData("/b/c/g", "/b/c/g")]
    [InlineData("/b/c/./g", "/b/c/g")]
    [InlineData("/b/c/g/", "/b/c/g/")]
    [InlineData("/b/c/.", "/b/c/")]
    [InlineData("/b/c/./", "/b/c/")]
    [InlineData("/b/c/..", "/b/")]
    [InlineData("/b/c/../", "/b/")]
    [InlineData("/b/c/../g", "/b/g")]
    [InlineData("/b/c/../..", "/")]
    [InlineData("/b/c/../../", "/")]
    [InlineData("/b/c/../../g", "/g")]
    [InlineData("/b/c/../../../g", "/g")]
    [InlineData("/b/c/../../../../g", "/g")]
    [InlineData("/./g", "/g")]
    [InlineData("/../g", "/g")]
    [InlineData("/b/c/g.", "/b/c/g.")]
    [InlineData("/b/c/.g", "/b/c/.g")]
    [InlineData("/b/c/g..", "/b/c/g..")]
    [InlineData("/b/c/..g", "/b/c/..g")]
    [InlineData("/b/c/./../g", "/b/g")]
    [InlineData("/b/c/./g/.", "/b/c/g/")]
    [InlineData("/b/c/g/./h", "/b/c/g/h")]
    [InlineData("/b/c/g/../h", "/b/c/h")]
    [InlineData("/b/c/g;x=1/./y", "/b/c/g;x=1/y")]
    [InlineData("/b/c/g;x=1/../y", "/b/c/y")]
    [InlineData("/a/b/c/./../../g", "/a/g")]
    public void Normalize_Rfc3986Examples_RemovesDotSegments(string path, string expected)
    {
        Assert.Equal((PathNormalizationResult.Ok, expected), Normalize(path));
    }

    [Theory]
    [InlineData("/", "/")]
    [InlineData("/.", "/")]
    [InlineData("/..", "/")]
    [InlineData("/../..", "/")]
    [InlineData("/pub/..", "/")]
    [InlineData("/pub/../echo", "/echo")]
    [InlineData("/pub/./../echo", "/echo")]
    [InlineData("/a//..", "/a/")]
    [InlineData("/a//../b", "/a/b")]
    [InlineData("/a/...", "/a/...")]
    [InlineData("/a/.../b", "/a/.../b")]
    public void Normalize_DotSegmentsAtTheEdges_NeverClimbAboveTheRoot(string path, string expected)
    {
        Assert.Equal((PathNormalizationResult.Ok, expected), Normalize(path));
    }

    [Theory]
    [InlineData("/pub/%2e%2e/echo", "/echo")]
    [InlineData("/pub/%2E%2E/echo", "/echo")]
    [InlineData("/pub/.%2e/echo", "/echo")]
    [InlineData("/pub/%2e./echo", "/echo")]
    [InlineData("/pub/%2e/echo", "/pub/echo")]
    [InlineData("/pub/%2e%2e", "/")]
    [InlineData("/%7Euser", "/~user")]
    [InlineData("/%41%62%7a%30%2D%5F", "/Abz0-_")]
    [InlineData("/a%2fb", "/a%2Fb")]
    [InlineData("/a%3a%3B", "/a%3A%3B")]
    [InlineData("/%25", "/%25")]
    [InlineData("/%252e%252e/x", "/%252e%252e/x")]
    [InlineData("/a%2F../b", "/a%2F../b")]
    [InlineData("/a%00b", "/a%00b")]
    [InlineData("/caf%C3%A9", "/caf%C3%A9")]
    public void Normalize_PercentEncoding_DecodesOnlyUnreservedCharacters(string path, string expected)
    {
        Assert.Equal((PathNormalizationResult.Ok, expected), Normalize(path));
    }

    [Theory]
    [InlineData("/%")]
    [InlineData("/%2")]
    [InlineData("/a%2")]
    [InlineData("/%zz")]
    [InlineData("/%g0")]
    [InlineData("/%0g/x")]
    [InlineData("/% 1")]
    public void Normalize_MalformedPercentEncoding_IsRejected(string path)
    {
        Assert.Equal(PathNormalizationResult.InvalidPercentEncoding, Normalize(path).Result);
    }

    [Theory]
    [InlineData("/a%2fb")]
    [InlineData("/a%2Fb")]
    [InlineData("/a%5cb")]
    [InlineData("/a%5Cb")]
    [InlineData("/a\\..\\b")]
    public void Normalize_EscapedSlashWithReject_IsRejected(string path)
    {
        Assert.Equal(PathNormalizationResult.EscapedSlash, Normalize(path, escapedSlashes: EscapedSlashAction.Reject).Result);
    }

    [Theory]
    [InlineData("/a%5cb", "/a%5Cb")]
    [InlineData("/a\\..\\b", "/a\\..\\b")]
    [InlineData("/pub\\../x", "/pub\\../x")]
    public void Normalize_EscapedSlashWithKeep_IsForwardedAndIsNoSeparator(string path, string expected)
    {
        Assert.Equal((PathNormalizationResult.Ok, expected), Normalize(path));
    }

    [Theory]
    [InlineData("//a//b//", "/a/b/")]
    [InlineData("///", "/")]
    [InlineData("/a//../b", "/a/b")]
    [InlineData("//..//a", "/a")]
    [InlineData("/a/b", "/a/b")]
    public void Normalize_MergeSlashes_CollapsesRunsOfSlashes(string path, string expected)
    {
        Assert.Equal((PathNormalizationResult.Ok, expected), Normalize(path, mergeSlashes: true));
    }

    [Fact]
    public void Normalize_RepeatedSlashesWithoutMerge_AreKept()
    {
        Assert.Equal((PathNormalizationResult.Ok, "//a//b//"), Normalize("//a//b//"));
    }

    [Theory]
    [InlineData("/index.html", false)]
    [InlineData("/a/b.c/d", false)]
    [InlineData("/a//b", false)]
    [InlineData("/a/./b", true)]
    [InlineData("/a/..", true)]
    [InlineData("/a%41", true)]
    [InlineData("/a\\b", true)]
    public void NeedsNormalization_PlainPaths_AreLeftAlone(string path, bool expected)
    {
        Assert.Equal(expected, PathNormalizer.NeedsNormalization(Encoding.Latin1.GetBytes(path), mergeSlashes: false));
        Assert.True(PathNormalizer.NeedsNormalization("/a//b"u8, mergeSlashes: true));
    }

    [Fact]
    public void Normalize_RandomPaths_InPlaceEqualsCopyAndIsIdempotent()
    {
        var random = new Random(6);
        var alphabet = Encoding.Latin1.GetBytes("/./../a%2e%2E%41%2f\\b");
        for (int i = 0; i < 20_000; i++)
        {
            var path = new byte[1 + random.Next(24)];
            path[0] = (byte)'/';
            for (int j = 1; j < path.Length; j++)
            {
                path[j] = alphabet[random.Next(alphabet.Length)];
            }
            bool merge = random.Next(2) == 0;
            var copy = new byte[path.Length];
            var result = PathNormalizer.Normalize(path, copy, merge, EscapedSlashAction.Keep, out int written);
            var inPlace = (byte[])path.Clone();
            var inPlaceResult = PathNormalizer.Normalize(inPlace, inPlace, merge, EscapedSlashAction.Keep, out int inPlaceWritten);
            Assert.Equal(result, inPlaceResult);
            if (result != PathNormalizationResult.Ok)
            {
                continue;
            }
            Assert.Equal(copy.AsSpan(0, written).ToArray(), inPlace.AsSpan(0, inPlaceWritten).ToArray());
            var once = copy.AsSpan(0, written).ToArray();
            var twice = new byte[once.Length];
            Assert.Equal(PathNormalizationResult.Ok, PathNormalizer.Normalize(once, twice, merge, EscapedSlashAction.Keep, out int twiceWritten));
            Assert.Equal(Encoding.Latin1.GetString(once), Encoding.Latin1.GetString(twice, 0, twiceWritten));
            Assert.StartsWith("/", Encoding.Latin1.GetString(once));
            Assert.DoesNotContain("/../", Encoding.Latin1.GetString(once) + "/");
            Assert.DoesNotContain("/./", Encoding.Latin1.GetString(once) + "/");
        }
    }
}
