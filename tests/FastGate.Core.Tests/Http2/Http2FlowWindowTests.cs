using FastGate.Core.Http2;

namespace FastGate.Core.Tests.Http2;

/// <summary>Flow-control windows (RFC 9113 §5.2, §6.9): consuming, growing to the limit and past it, going negative.</summary>
public class Http2FlowWindowTests
{
    [Fact]
    public void TryConsume_WithinWindow_Taken()
    {
        var window = new Http2FlowWindow(65_535);

        Assert.True(window.TryConsume(65_000));
        Assert.Equal(535, window.Available);
        Assert.True(window.TryConsume(535));
        Assert.Equal(0, window.Available);
        Assert.True(window.TryConsume(0));
    }

    [Fact]
    public void TryConsume_MoreThanWindow_FalseNothingTaken()
    {
        var window = new Http2FlowWindow(100);

        Assert.False(window.TryConsume(101));
        Assert.Equal(100, window.Available);
    }

    [Fact]
    public void TryConsume_Negative_Throws()
    {
        var window = new Http2FlowWindow(100);

        Assert.Throws<ArgumentOutOfRangeException>(() => window.TryConsume(-1));
    }

    [Fact]
    public void Grow_ToExactly2Pow31Minus1_Taken()
    {
        var window = new Http2FlowWindow(65_535);

        Assert.Equal(Http2ErrorCode.NoError, window.Grow(int.MaxValue - 65_535));
        Assert.Equal(int.MaxValue, window.Available);
    }

    [Fact]
    public void Grow_OnePast2Pow31Minus1_FlowControlErrorUnchanged()
    {
        var window = new Http2FlowWindow(int.MaxValue);

        Assert.Equal(Http2ErrorCode.FlowControlError, window.Grow(1));
        Assert.Equal(int.MaxValue, window.Available);
    }

    [Fact]
    public void Grow_LargestIncrementOnFullWindow_FlowControlError()
    {
        var window = new Http2FlowWindow(1);

        Assert.Equal(Http2ErrorCode.FlowControlError, window.Grow(int.MaxValue));
        Assert.Equal(1, window.Available);
    }

    [Fact]
    public void Adjust_InitialWindowShrinks_NegativeThenGrowsBack()
    {
        // §6.9.2: 60,000 bytes sent of 65,535; the peer lowers SETTINGS_INITIAL_WINDOW_SIZE to 16,384.
        var window = new Http2FlowWindow(65_535);
        Assert.True(window.TryConsume(60_000));

        Assert.Equal(Http2ErrorCode.NoError, window.Adjust(16_384 - 65_535));
        Assert.Equal(5_535 - 49_151, window.Available);
        Assert.False(window.TryConsume(1));
        Assert.False(window.TryConsume(0));

        Assert.Equal(Http2ErrorCode.NoError, window.Grow(43_616));
        Assert.Equal(0, window.Available);
        Assert.False(window.TryConsume(1));
        Assert.Equal(Http2ErrorCode.NoError, window.Grow(10));
        Assert.True(window.TryConsume(10));
    }

    [Fact]
    public void Adjust_PastLimit_FlowControlErrorUnchanged()
    {
        var window = new Http2FlowWindow(65_535);

        Assert.Equal(Http2ErrorCode.FlowControlError, window.Adjust(int.MaxValue - 65_534));
        Assert.Equal(65_535, window.Available);
        Assert.Equal(Http2ErrorCode.NoError, window.Adjust(int.MaxValue - 65_535));
        Assert.Equal(int.MaxValue, window.Available);
    }

    [Fact]
    public void Adjust_FromNegativeToLimit_Taken()
    {
        var window = new Http2FlowWindow(0);
        window.Adjust(-1000);

        Assert.Equal(Http2ErrorCode.NoError, window.Grow(int.MaxValue));
        Assert.Equal(int.MaxValue - 1000, window.Available);
    }
}
