using System.Diagnostics;
using System.Text;
using FastGate.Proxy.Forwarding;

namespace FastGate.Proxy.Tests.Forwarding;

/// <summary>The grpc-timeout wire format (gRPC over HTTP/2: 1-8 digits and H M S m u n), both ways.</summary>
public class GrpcTimeoutTests
{
    private static readonly long Second = Stopwatch.Frequency;

    private static string Format(long ticks)
    {
        Span<byte> value = stackalloc byte[GrpcTimeout.MaxLength];
        var length = GrpcTimeout.Format(ticks, value);
        return Encoding.ASCII.GetString(value[..length]);
    }

    [Theory]
    [InlineData("1S", 1.0)]
    [InlineData("500m", 0.5)]
    [InlineData("2M", 120.0)]
    [InlineData("1H", 3600.0)]
    [InlineData("250000u", 0.25)]
    [InlineData("99999999n", 0.099999999)]
    public void Parse_EachUnit_Ticks(string value, double seconds)
    {
        var ticks = GrpcTimeout.Parse(Encoding.ASCII.GetBytes(value));

        Assert.Equal(seconds * Second, ticks, tolerance: 2);
    }

    [Theory]
    [InlineData("")]
    [InlineData("S")]
    [InlineData("10")]
    [InlineData("1x")]
    [InlineData("1.5S")]
    [InlineData("123456789S")]
    public void Parse_Malformed_MaxValue(string value)
    {
        Assert.Equal(long.MaxValue, GrpcTimeout.Parse(Encoding.ASCII.GetBytes(value)));
    }

    [Fact]
    public void Format_FinestUnitThatFitsEightDigits()
    {
        // 0.05 s is 50,000,000 ns: nanoseconds still fit.
        Assert.Equal("50000000n", Format(Second / 20));
        // 1 s is 10^9 ns (10 digits): microseconds.
        Assert.Equal("1000000u", Format(Second));
        // 1000 s: milliseconds (10^6).
        Assert.Equal("1000000m", Format(1000 * Second));
        // 10^6 s is 10^9 ms: seconds.
        Assert.Equal("1000000S", Format(1_000_000 * Second));
        // 10^9 s is past 8 digits of seconds: minutes, rounded down.
        Assert.Equal("16666666M", Format(1_000_000_000 * Second));
    }

    [Fact]
    public void Format_RoundsDown_NeverMoreThanLeft()
    {
        // 1.5 s minus one tick: whatever the unit, the value read back is not above what was given.
        var ticks = Second * 3 / 2 - 1;

        var back = GrpcTimeout.Parse(Encoding.ASCII.GetBytes(Format(ticks)));

        Assert.True(back <= ticks, $"{Format(ticks)} read back as {back} > {ticks}");
        Assert.True(back > ticks - Second / 1000);
    }

    [Fact]
    public void Format_ThenParse_SameWithinTheUnit()
    {
        foreach (var seconds in new[] { 0.001, 0.3, 7.0, 59.9, 3600.0, 86400.0 * 30 })
        {
            var ticks = (long)(seconds * Second);
            var back = GrpcTimeout.Parse(Encoding.ASCII.GetBytes(Format(ticks)));
            // The unit chosen keeps 8 digits, so at most a 10^-7 share (and a tick) is lost.
            Assert.InRange(back, ticks - (long)(ticks / 1e7) - 2, ticks);
        }
    }
}
