using System.Text;
using FastGate.Proxy.Stages.Auth;

namespace FastGate.Proxy.Tests.Stages.Auth;

public class QueryParameterTests
{
    [Theory]
    [InlineData("?key=abc", 1, "abc")]
    [InlineData("key=abc", 1, "abc")]
    [InlineData("?a=1&key=abc&b=2", 1, "abc")]
    [InlineData("?a=1&key&b=2", 1, "")]
    [InlineData("?key=1&key=2", 2, "2")]
    [InlineData("?keys=1&akey=2&key2=3", 0, "")]
    [InlineData("", 0, "")]
    public void Find_CountsExactNameMatches(string query, int count, string value)
    {
        Assert.Equal(count, QueryParameter.Find(Encoding.ASCII.GetBytes(query), "key"u8, out var found));
        Assert.Equal(value, Encoding.ASCII.GetString(found));
    }

    [Theory]
    [InlineData("abc", "abc")]
    [InlineData("a%2Bb%2fc", "a+b/c")]
    [InlineData("a+b", "a b")]
    public void TryDecode_PercentAndPlus(string encoded, string decoded)
    {
        var buffer = new byte[encoded.Length];
        Assert.True(QueryParameter.TryDecode(Encoding.ASCII.GetBytes(encoded), buffer, out var written));
        Assert.Equal(decoded, Encoding.ASCII.GetString(buffer, 0, written));
    }

    [Theory]
    [InlineData("a%2")]
    [InlineData("a%zz")]
    [InlineData("%")]
    public void TryDecode_BrokenEscape_Fails(string encoded) =>
        Assert.False(QueryParameter.TryDecode(Encoding.ASCII.GetBytes(encoded), new byte[8], out _));

    [Theory]
    [InlineData("?key=abc", "")]
    [InlineData("?a=1&key=abc", "?a=1")]
    [InlineData("?key=abc&a=1", "?a=1")]
    [InlineData("?a=1&key=abc&b=2&key", "?a=1&b=2")]
    [InlineData("?a=1", "?a=1")]
    public void WriteWithout_DropsEveryOccurrence(string query, string expected)
    {
        var buffer = new byte[query.Length];
        var written = QueryParameter.WriteWithout(Encoding.ASCII.GetBytes(query), "key"u8, buffer);
        Assert.Equal(expected, Encoding.ASCII.GetString(buffer, 0, written));
    }
}
