using System.Diagnostics;
using FastGate.Core.Transport.Epoll;

namespace FastGate.Core.Tests.Transport.Epoll;

/// <summary>
/// <see cref="LoopTimer.Rearm"/>: a deadline pushed later leaves the timer in its earlier slot,
/// so the wheel must move it on when that slot comes up, and fire it at the later time, never before.
/// </summary>
public class TimerWheelRearmTests
{
    private static readonly long Ms = Stopwatch.Frequency / 1000;

    private sealed class Target : ILoopTimerTarget
    {
        public List<long> Fired { get; } = [];

        public void OnTimer(long now) => Fired.Add(now);
    }

    /// <summary>Runs the wheel every millisecond from <paramref name="from"/> to <paramref name="to"/>; the first time it fired, or null.</summary>
    private static long? RunEveryMillisecond(TimerWheel wheel, long from, long to)
    {
        for (var t = from; t <= to; t += Ms)
        {
            if (wheel.Run(t) > 0)
            {
                return t;
            }
        }
        return null;
    }

    [Fact]
    public void Rearm_Later_FiresAtTheLaterTimeAndNotBefore()
    {
        var wheel = new TimerWheel();
        var target = new Target();
        var now = Stopwatch.GetTimestamp();
        var timer = wheel.Create(target);
        timer.Schedule(now + 100 * Ms);
        var due = now + 1000 * Ms + 5 * Ms;

        var slot = timer.Slot;

        timer.Rearm(due);

        Assert.Equal(due, timer.Due);
        Assert.Equal(slot, timer.Slot);
        Assert.Null(RunEveryMillisecond(wheel, now, due - Ms));
        Assert.Empty(target.Fired);
        Assert.True(timer.Scheduled, "the timer left the wheel when its earlier slot came up");
        var fired = RunEveryMillisecond(wheel, due, due + 200 * Ms);
        Assert.NotNull(fired);
        Assert.True(fired <= due + (TimerWheel.TickMilliseconds + 1) * Ms, "fired more than a tick late");
        Assert.Single(target.Fired);
        Assert.Equal(0, wheel.Count);
    }

    [Fact]
    public void Rearm_LaterOnEveryStep_FiresOnlyAfterTheLastDeadline()
    {
        // A keep-alive connection: every request pushes the idle deadline a second on.
        var wheel = new TimerWheel();
        var target = new Target();
        var now = Stopwatch.GetTimestamp();
        var timer = wheel.Create(target);
        timer.Schedule(now + 1000 * Ms);
        var t = now;
        for (var request = 0; request < 300; request++, t += 10 * Ms)
        {
            timer.Rearm(t + 1000 * Ms);
            Assert.Equal(0, wheel.Run(t));
        }
        var last = t - 10 * Ms + 1000 * Ms;

        Assert.Null(RunEveryMillisecond(wheel, t, last - Ms));
        var fired = RunEveryMillisecond(wheel, last, last + 200 * Ms);
        Assert.NotNull(fired);
        Assert.True(fired <= last + (TimerWheel.TickMilliseconds + 1) * Ms, "fired more than a tick late");
        Assert.Single(target.Fired);
    }

    [Fact]
    public void Rearm_PastAWholeRoundOfTheWheel_FiresAtItsTimeNotARoundEarly()
    {
        var wheel = new TimerWheel();
        var target = new Target();
        var now = Stopwatch.GetTimestamp();
        var timer = wheel.Create(target);
        timer.Schedule(now + 100 * Ms);
        var due = now + 150_000 * Ms;

        timer.Rearm(due);

        for (var t = now; t < due; t += TimerWheel.TickMilliseconds * Ms)
        {
            Assert.Equal(0, wheel.Run(t));
        }
        Assert.Equal(1, wheel.Run(due + TimerWheel.TickMilliseconds * Ms));
        Assert.Single(target.Fired);
    }

    [Fact]
    public void Rearm_Earlier_MovesTheTimerToTheEarlierTime()
    {
        var wheel = new TimerWheel();
        var target = new Target();
        var now = Stopwatch.GetTimestamp();
        var timer = wheel.Create(target);
        timer.Schedule(now + 60_000 * Ms);
        var due = now + 100 * Ms;

        timer.Rearm(due);

        var fired = RunEveryMillisecond(wheel, now, now + 500 * Ms);
        Assert.NotNull(fired);
        Assert.InRange(fired.Value, due, due + (TimerWheel.TickMilliseconds + 1) * Ms);
    }

    [Fact]
    public void Rearm_NotScheduled_SchedulesIt_Cancel_StillRemovesIt()
    {
        var wheel = new TimerWheel();
        var target = new Target();
        var now = Stopwatch.GetTimestamp();
        var timer = wheel.Create(target);

        timer.Rearm(now + 100 * Ms);
        Assert.True(timer.Scheduled);
        Assert.Equal(1, wheel.Count);

        timer.Rearm(now + 500 * Ms);
        timer.Cancel();
        Assert.Equal(0, wheel.Count);
        Assert.Null(RunEveryMillisecond(wheel, now, now + 1000 * Ms));
        Assert.Empty(target.Fired);
    }

    [Fact]
    public void Run_TimerRearmedLaterBesideOthersInItsSlot_FiresTheOthersOnTime()
    {
        var wheel = new TimerWheel();
        var now = Stopwatch.GetTimestamp();
        var early = new Target();
        var pushed = new Target();
        var late = new Target();
        wheel.Create(early).Schedule(now + 100 * Ms);
        var pushedTimer = wheel.Create(pushed);
        pushedTimer.Schedule(now + 100 * Ms);
        wheel.Create(late).Schedule(now + 100 * Ms);

        pushedTimer.Rearm(now + 400 * Ms);

        Assert.Equal(2, wheel.Run(now + 150 * Ms));
        Assert.Single(early.Fired);
        Assert.Single(late.Fired);
        Assert.Empty(pushed.Fired);
        Assert.Equal(1, wheel.Run(now + 450 * Ms));
        Assert.Single(pushed.Fired);
    }
}
