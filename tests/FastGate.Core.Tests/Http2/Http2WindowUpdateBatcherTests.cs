using FastGate.Core.Http2;

namespace FastGate.Core.Tests.Http2;

/// <summary>When WINDOW_UPDATE is sent: once half the announced window has been handed on, all of it at once.</summary>
public class Http2WindowUpdateBatcherTests
{
    [Fact]
    public void Release_UnderHalfWindow_Waits()
    {
        var batcher = new Http2WindowUpdateBatcher(65_536);

        Assert.Equal(0, batcher.Release(16_384));
        Assert.Equal(0, batcher.Release(16_383));
        Assert.Equal(32_767, batcher.Pending);
    }

    [Fact]
    public void Release_ReachingHalfWindow_GrantsAllPending()
    {
        var batcher = new Http2WindowUpdateBatcher(65_536);
        batcher.Release(16_384);

        Assert.Equal(32_768, batcher.Release(16_384));
        Assert.Equal(0, batcher.Pending);
        Assert.Equal(0, batcher.Release(1));
    }

    [Fact]
    public void Release_OneFrameOverHalf_GrantsItAtOnce()
    {
        var batcher = new Http2WindowUpdateBatcher(1 << 20);

        Assert.Equal(600_000, batcher.Release(600_000));
    }

    [Fact]
    public void Release_Zero_Nothing()
    {
        var batcher = new Http2WindowUpdateBatcher(100);

        Assert.Equal(0, batcher.Release(0));
        Assert.Equal(0, batcher.Pending);
    }

    [Fact]
    public void Release_WindowOfOne_EveryByte()
    {
        var batcher = new Http2WindowUpdateBatcher(1);

        Assert.Equal(1, batcher.Release(1));
    }

    [Fact]
    public void Release_PastLargestIncrement_CappedRestPending()
    {
        var batcher = new Http2WindowUpdateBatcher(int.MaxValue);
        Assert.Equal(0, batcher.Release(int.MaxValue / 2 - 1)); // 1,073,741,822: one under half

        Assert.Equal(int.MaxValue, batcher.Release(int.MaxValue / 2 + 12));
        Assert.Equal(10, batcher.Pending);
    }

    [Fact]
    public void Flush_Pending_GrantsAndClears()
    {
        var batcher = new Http2WindowUpdateBatcher(65_535);
        batcher.Release(1000);

        Assert.Equal(1000, batcher.Flush());
        Assert.Equal(0, batcher.Flush());
    }

    [Fact]
    public void WithReceiveWindow_StreamOfFrames_PeerNeverBlockedAndNeverOverruns()
    {
        // The receiver announces 64 KiB; a sender sends 16 KiB frames whenever its view of the window allows.
        const int Window = 65_536;
        var receive = new Http2FlowWindow(Window);
        var sendView = new Http2FlowWindow(Window);
        var batcher = new Http2WindowUpdateBatcher(Window);
        int updates = 0;
        for (int frame = 0; frame < 1000; frame++)
        {
            Assert.True(sendView.TryConsume(16_384), $"sender blocked at frame {frame}");
            Assert.True(receive.TryConsume(16_384));
            int increment = batcher.Release(16_384);
            if (increment > 0)
            {
                updates++;
                Assert.Equal(Http2ErrorCode.NoError, receive.Grow(increment));
                Assert.Equal(Http2ErrorCode.NoError, sendView.Grow(increment));
            }
        }

        Assert.Equal(500, updates);
        Assert.Equal(Window, receive.Available);
    }

    [Fact]
    public void New_WindowNotPositive_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new Http2WindowUpdateBatcher(0));
    }
}
