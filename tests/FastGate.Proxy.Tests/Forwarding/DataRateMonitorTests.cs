using System.Diagnostics;
using FastGate.Proxy.Forwarding;

namespace FastGate.Proxy.Tests.Forwarding;

/// <summary>The rate judgement alone, on timestamps the test chooses (no clock, no waiting).</summary>
public class DataRateMonitorTests
{
    private static readonly long Second = Stopwatch.Frequency;
    private const long Start = 1_000_000;

    private static DataRateMonitor Running(long rate = 240, int windowSeconds = 5)
    {
        var monitor = new DataRateMonitor();
        monitor.Start(rate, TimeSpan.FromSeconds(windowSeconds));
        monitor.Resume(Start);
        return monitor;
    }

    [Fact]
    public void Check_WithinTheFirstWindow_NoVerdictHoweverSlow()
    {
        var monitor = Running();
        monitor.Add(1);

        Assert.True(monitor.Check(Start + (4 * Second)));
    }

    [Fact]
    public void Check_WindowFilledBelowTheRate_TooSlow()
    {
        var monitor = Running();
        monitor.Add(1199);

        Assert.False(monitor.Check(Start + (5 * Second)));
    }

    [Fact]
    public void Check_WindowFilledAtTheRate_GoesOnIntoAnEmptyWindow()
    {
        var monitor = Running();
        monitor.Add(1200);

        Assert.True(monitor.Check(Start + (5 * Second)));
        // The burst of the first window buys nothing in the second.
        Assert.False(monitor.Check(Start + (10 * Second)));
    }

    [Fact]
    public void Check_ATrickleOfABytePerSecond_CutAtTheFirstWindowEnd()
    {
        var monitor = Running();
        var cutAt = -1;
        for (var second = 1; second <= 20 && cutAt < 0; second++)
        {
            monitor.Add(1);
            if (!monitor.Check(Start + (second * Second)))
            {
                cutAt = second;
            }
        }

        Assert.Equal(5, cutAt);
    }

    [Fact]
    public void Check_SteadyTwiceTheRate_NeverCut()
    {
        var monitor = Running();
        for (var tenth = 1; tenth <= 600; tenth++)
        {
            monitor.Add(48);
            Assert.True(monitor.Check(Start + (tenth * Second / 10)), $"cut at {tenth / 10.0} s");
        }
    }

    [Fact]
    public void Pause_TimeWaitingOnTheUpstream_DoesNotCount()
    {
        var monitor = Running();
        monitor.Add(100);
        monitor.Pause(Start + Second);
        // A minute on the upstream, then a second more on the client: two seconds of client time in all.
        monitor.Resume(Start + (61 * Second));

        Assert.True(monitor.Check(Start + (62 * Second)));
        Assert.False(monitor.Check(Start + (65 * Second)));
    }

    [Fact]
    public void SlowAt_BelowTheDue_EndOfThisWindow_AtTheDue_EndOfTheNext()
    {
        var monitor = Running();
        monitor.Add(10);
        Assert.Equal(Start + (5 * Second), monitor.SlowAt(Start + Second));

        monitor.Add(2000);
        Assert.Equal(Start + (10 * Second), monitor.SlowAt(Start + Second));
    }

    [Fact]
    public void SlowAt_IsAVerdict_CheckThereSaysTooSlow()
    {
        var monitor = Running();
        monitor.Add(5000);
        var at = monitor.SlowAt(Start + (2 * Second));

        Assert.True(monitor.Check(at - 1));
        Assert.False(monitor.Check(at));
    }

    [Fact]
    public void Start_RateZero_NeverJudges()
    {
        var monitor = Running(rate: 0);

        Assert.False(monitor.Enabled);
        Assert.True(monitor.Check(Start + (3600 * Second)));
        Assert.Equal(long.MaxValue, monitor.SlowAt(Start));
    }

    [Fact]
    public void WindowEndsAt_CountsOnlyRunningTime()
    {
        var monitor = Running(windowSeconds: 2);
        monitor.Pause(Start + Second);
        monitor.Resume(Start + (10 * Second));

        Assert.Equal(Start + (11 * Second), monitor.WindowEndsAt(Start + (10 * Second)));
    }
}
