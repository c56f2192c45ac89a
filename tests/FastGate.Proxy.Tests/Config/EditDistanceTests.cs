using FastGate.Proxy.Config;

namespace FastGate.Proxy.Tests.Config;

public class EditDistanceTests
{
    [Theory]
    [InlineData("timeout", "timeout", 0)]
    [InlineData("timout", "timeout", 1)]
    [InlineData("protcol", "protocol", 1)]
    [InlineData("lisetn", "listen", 2)]
    [InlineData("", "abc", 3)]
    public void Between_ReturnsLevenshteinDistance(string a, string b, int expected) =>
        Assert.Equal(expected, EditDistance.Between(a, b));

    [Fact]
    public void Closest_WithinTwoEdits_ReturnsNearest()
    {
        Assert.Equal("timeout", EditDistance.Closest("timout", ["name", "timeout", "cluster"]));
        Assert.Null(EditDistance.Closest("colour_scheme", ["level", "access"]));
    }
}
