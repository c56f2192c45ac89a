using System.Diagnostics;
using FastGate.Core.Transport.Epoll;

namespace FastGate.Core.Tests.Transport.Epoll;

public class TimerWheelTests
{
    private static readonly long Ms = Stopwatch.Frequency / 1000;

    private sealed class Target : ILoopTimerTarget
    {
        public List<long> Fired { get; } = [];
        public Action? OnFire { get; set; }

        public void OnTimer(long now)
        {
            Fired.Add(now);
            OnFire?.Invoke();
        }
    }

    [Fact]
    public void Run_BeforeDue_FiresNothing_AfterDue_FiresOnce()
    {
        var wheel = new TimerWheel();
        var target = new Target();
        var now = Stopwatch.GetTimestamp();
        var timer = wheel.Create(target);
        timer.Schedule(now + 1000 * Ms);

        Assert.Equal(0, wheel.Run(now + 500 * Ms));
        Assert.Empty(target.Fired);
        Assert.Equal(1, wheel.Run(now + 1100 * Ms));
        Assert.Single(target.Fired);
        Assert.Equal(0, wheel.Run(now + 2000 * Ms));
        Assert.False(timer.Scheduled);
        Assert.Equal(0, wheel.Count);
    }

    [Fact]
    public void Run_EveryTickInTurn_FiresInTheTickAfterTheDueTime()
    {
        var wheel = new TimerWheel();
        var target = new Target();
        var now = Stopwatch.GetTimestamp();
        var due = now + 200 * Ms + 5 * Ms;
        wheel.Create(target).Schedule(due);

        var fired = 0L;
        for (var t = now; t < now + 400 * Ms; t += Ms)
        {
            if (wheel.Run(t) > 0)
            {
                fired = t;
                break;
            }
        }

        Assert.True(fired >= due, "fired before its due time");
        Assert.True(fired <= due + (TimerWheel.TickMilliseconds + 1) * Ms, "fired more than a tick late");
    }

    [Fact]
    public void Schedule_Again_MovesTheTimer_Cancel_RemovesIt()
    {
        var wheel = new TimerWheel();
        var target = new Target();
        var now = Stopwatch.GetTimestamp();
        var timer = wheel.Create(target);
        timer.Schedule(now + 60_000 * Ms);
        timer.Schedule(now + 100 * Ms);
        Assert.Equal(1, wheel.Count);
        Assert.Equal(1, wheel.Run(now + 200 * Ms));

        timer.Schedule(now + 300 * Ms);
        timer.Cancel();
        Assert.Equal(0, wheel.Count);
        Assert.Equal(0, wheel.Run(now + 1000 * Ms));
        Assert.Single(target.Fired);
    }

    [Fact]
    public void Run_BeyondOneRound_WaitsForItsRound()
    {
        var wheel = new TimerWheel();
        var target = new Target();
        var now = Stopwatch.GetTimestamp();
        // Further than the wheel's horizon: the slot comes round first without firing it.
        wheel.Create(target).Schedule(now + 100_000 * Ms);
        for (var t = now; t < now + 99_000 * Ms; t += 500 * Ms)
        {
            wheel.Run(t);
        }
        Assert.Empty(target.Fired);
        wheel.Run(now + 100_100 * Ms);
        Assert.Single(target.Fired);
    }

    [Fact]
    public void Run_ManyTimersDueAtOnce_FiresEachOnce_EvenWhenTargetsReschedule()
    {
        var wheel = new TimerWheel();
        var now = Stopwatch.GetTimestamp();
        var targets = new List<Target>();
        var timers = new List<LoopTimer>();
        for (var i = 0; i < 10_000; i++)
        {
            var target = new Target();
            var timer = wheel.Create(target);
            // Half of them schedule themselves again, two seconds on, the first time they fire.
            if (i % 2 == 0)
            {
                target.OnFire = () =>
                {
                    target.OnFire = null;
                    timer.Schedule(now + 2_000 * Ms);
                };
            }
            targets.Add(target);
            timers.Add(timer);
            timer.Schedule(now + (i % 50) * Ms);
        }

        Assert.Equal(10_000, wheel.Run(now + 100 * Ms));
        Assert.All(targets, t => Assert.Single(t.Fired));
        Assert.Equal(5_000, wheel.Count);
        Assert.Equal(0, wheel.Run(now + 1_000 * Ms));
        Assert.Equal(5_000, wheel.Run(now + 2_100 * Ms));
        Assert.Equal(0, wheel.Count);
    }

    [Fact]
    public void Run_ATargetCancelsTheOtherDueTimer_OnlyOneFires_AndTheNextRunFiresNothing()
    {
        var wheel = new TimerWheel();
        var now = Stopwatch.GetTimestamp();
        var first = new Target();
        var second = new Target();
        var firstTimer = wheel.Create(first);
        var secondTimer = wheel.Create(second);
        first.OnFire = secondTimer.Cancel;
        second.OnFire = firstTimer.Cancel;
        firstTimer.Schedule(now + 10 * Ms);
        secondTimer.Schedule(now + 10 * Ms);

        Assert.Equal(1, wheel.Run(now + 100 * Ms));
        Assert.Equal(1, first.Fired.Count + second.Fired.Count);
        Assert.Equal(0, wheel.Run(now + 200 * Ms));
        Assert.Equal(0, wheel.Count);
    }

    [Fact]
    public void WaitMilliseconds_NoTimers_Infinite_DistantTimer_AboutASecondAtMost()
    {
        var wheel = new TimerWheel();
        var now = Stopwatch.GetTimestamp();
        Assert.Equal(-1, wheel.WaitMilliseconds(now));
        wheel.Create(new Target()).Schedule(now + 10_000 * Ms);
        wheel.Run(now);
        var wait = wheel.WaitMilliseconds(now);
        Assert.InRange(wait, 1, 65 * TimerWheel.TickMilliseconds);
    }

    [Fact]
    public void WaitMilliseconds_NeverZero_BeforeATimersTickBegins()
    {
        // Every point of a tick, to the tick's last microseconds: a wait rounded down to 0 there
        // would make the loop poll without sleeping until the tick is over.
        var wheel = new TimerWheel();
        var target = new Target();
        var start = Stopwatch.GetTimestamp();
        wheel.Run(start);
        var timer = wheel.Create(target);
        timer.Schedule(start + 5 * Ms);
        var step = Math.Max(Ms / 10, 1);
        for (var now = start; target.Fired.Count == 0; now += step)
        {
            var wait = wheel.WaitMilliseconds(now);
            if (wait == 0)
            {
                // Due: this turn's Run must fire it, so that the next wait sleeps again.
                Assert.Equal(1, wheel.Run(now));
                Assert.True(now >= start + 5 * Ms, "woken before the due time");
                Assert.True(now <= start + (5 + 2 * TimerWheel.TickMilliseconds) * Ms, "woken more than a tick late");
                break;
            }
            Assert.Equal(0, wheel.Run(now));
        }
        Assert.Single(target.Fired);
        Assert.Equal(-1, wheel.WaitMilliseconds(start + 100 * Ms));
    }

    [Fact]
    public void WaitMilliseconds_SleepsToTheFirstSlotWithATimer_NotToTheNextTick()
    {
        var wheel = new TimerWheel();
        var now = Stopwatch.GetTimestamp();
        wheel.Run(now);
        wheel.Create(new Target()).Schedule(now + 200 * Ms);
        var wait = wheel.WaitMilliseconds(now);
        // Woken at the start of the tick after the due time: no earlier, at most a tick later.
        Assert.InRange(wait, 200, 200 + TimerWheel.TickMilliseconds + 1);
        Assert.Equal(0, wheel.Run(now + (wait - TimerWheel.TickMilliseconds - 1) * Ms));
        Assert.Equal(1, wheel.Run(now + wait * Ms));
    }
}
