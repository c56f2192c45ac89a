using FastGate.Proxy.Forwarding.Http2;

namespace FastGate.Proxy.Tests.Http2;

public sealed class Http2ResetStreamsTests
{
    [Fact]
    public void ResetStream_StaysKnown_WhileFewerThanTheWindowOpenAfterIt()
    {
        var resets = new Http2ResetStreams();
        resets.Open(1);
        resets.Add(1);
        for (var id = 3; id < 2 * Http2ResetStreams.Window; id += 2)
        {
            resets.Open(id);
            resets.Add(id);
        }

        Assert.True(resets.Contains(1));
        Assert.True(resets.Contains(2 * Http2ResetStreams.Window - 1));
    }

    [Fact]
    public void StreamClosedWithoutReset_IsNotTakenForOne()
    {
        var resets = new Http2ResetStreams();
        for (var id = 1; id <= 99; id += 2)
        {
            resets.Open(id);
            if (id != 41)
            {
                resets.Add(id);
            }
        }

        Assert.False(resets.Contains(41));
        Assert.True(resets.Contains(39));
        Assert.True(resets.Contains(43));
    }

    [Fact]
    public void SlotOfAnIdThatLeftTheWindow_StartsClearForTheIdTakingIt()
    {
        var resets = new Http2ResetStreams();
        resets.Open(1);
        resets.Add(1);
        // The id that takes stream 1's place in the window, opened but never reset.
        var successor = 1 + (2 * Http2ResetStreams.Window);
        for (var id = 3; id <= successor; id += 2)
        {
            resets.Open(id);
        }

        Assert.False(resets.Contains(successor));
    }

    [Fact]
    public void IdsOlderThanTheWindow_AreIgnored_AndAJumpPastItClearsEveryBit()
    {
        var resets = new Http2ResetStreams();
        resets.Open(5);
        resets.Add(5);
        var far = 5 + (4 * Http2ResetStreams.Window);
        resets.Open(far);

        Assert.True(resets.Contains(5));
        Assert.False(resets.Contains(far));
        Assert.False(resets.Contains(far - 2));
    }

    [Fact]
    public void IdNeverUsed_IsNotReset()
    {
        var resets = new Http2ResetStreams();
        resets.Open(7);
        resets.Add(9);

        Assert.False(resets.Contains(9));
        Assert.False(resets.Contains(7));
    }
}
