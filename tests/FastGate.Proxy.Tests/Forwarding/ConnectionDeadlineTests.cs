using FastGate.Proxy.Forwarding;

namespace FastGate.Proxy.Tests.Forwarding;

/// <summary>The heartbeat's side of a deadline racing with the loop's, step by step.</summary>
public class ConnectionDeadlineTests
{
    [Fact]
    public void TryFire_ArmingReplacedAfterTheHeartbeatLooked_IsIgnored()
    {
        var deadline = new ConnectionDeadline();
        deadline.Arm(TimeoutKind.RequestHead, at: 100);
        var seen = deadline.Observe();

        deadline.Arm(TimeoutKind.UpstreamResponse, at: 1_000);

        Assert.False(deadline.TryFire(seen, now: 200, out _));
        Assert.Equal(TimeoutKind.None, deadline.Fired);
        Assert.Equal(TimeoutKind.UpstreamResponse, deadline.Armed);
        // The new arming still fires, on its own deadline and with its own kind.
        Assert.False(deadline.TryFire(deadline.Observe(), now: 999, out _));
        Assert.True(deadline.TryFire(deadline.Observe(), now: 1_000, out var kind));
        Assert.Equal(TimeoutKind.UpstreamResponse, kind);
        Assert.Equal(TimeoutKind.UpstreamResponse, deadline.Fired);
    }

    [Fact]
    public void TryFire_DisarmedAfterTheHeartbeatLooked_IsIgnored()
    {
        var deadline = new ConnectionDeadline();
        deadline.Arm(TimeoutKind.BodyIdle, at: 100);
        var seen = deadline.Observe();

        deadline.Disarm();

        Assert.False(deadline.TryFire(seen, now: 200, out _));
        Assert.Equal(TimeoutKind.None, deadline.Fired);
    }

    [Fact]
    public void TryFire_SameArmingTwice_FiresOnce()
    {
        var deadline = new ConnectionDeadline();
        deadline.Arm(TimeoutKind.Send, at: 100);

        Assert.True(deadline.TryFire(deadline.Observe(), now: 100, out _));
        Assert.False(deadline.TryFire(deadline.Observe(), now: 300, out _));
    }

    [Fact]
    public void Fired_AfterReArm_IsNoneSoALateCancelCountsAsStale()
    {
        var deadline = new ConnectionDeadline();
        deadline.Arm(TimeoutKind.KeepAliveIdle, at: 100);
        Assert.True(deadline.TryFire(deadline.Observe(), now: 100, out _));

        deadline.Arm(TimeoutKind.RequestHead, at: 500);

        Assert.Equal(TimeoutKind.None, deadline.Fired);
    }
}
