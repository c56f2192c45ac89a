using System.Diagnostics;

namespace FastGate.Core.Transport.Epoll;

/// <summary>
/// One deadline on a loop's <see cref="TimerWheel"/>: an intrusive list node, so scheduling,
/// moving and cancelling are O(1) and allocate nothing. Used on the loop thread only.
/// </summary>
public sealed class LoopTimer
{
    private readonly TimerWheel _wheel;

    internal LoopTimer(TimerWheel wheel, ILoopTimerTarget target)
    {
        _wheel = wheel;
        Target = target;
    }

    internal ILoopTimerTarget Target { get; }
    internal LoopTimer? Previous;
    internal LoopTimer? Next;
    internal int Slot = -1;

    /// <summary>When the timer fires, in <see cref="Stopwatch"/> ticks; 0 when not scheduled.</summary>
    public long Due { get; internal set; }

    public bool Scheduled => Slot >= 0;

    /// <summary>Fires at <paramref name="due"/> (Stopwatch ticks), replacing any earlier schedule.</summary>
    public void Schedule(long due) => _wheel.Schedule(this, due);

    /// <summary>
    /// Fires at <paramref name="due"/> (Stopwatch ticks), like <see cref="Schedule"/>, but a timer
    /// already set to fire sooner keeps its place on the wheel: it comes up early, finds its due
    /// time still ahead and moves once to where that falls. A connection that pushes its deadline
    /// later on every request then touches the wheel about once per timeout instead of on every
    /// request (each move unlinks from one slot's list and links into another's, writing to the
    /// timers of other connections beside it).
    /// </summary>
    public void Rearm(long due) => _wheel.Rearm(this, due);

    /// <summary>Fires <paramref name="delay"/> from now, replacing any earlier schedule.</summary>
    public void ScheduleAfter(TimeSpan delay) => Schedule(Stopwatch.GetTimestamp() + (long)(delay.TotalSeconds * Stopwatch.Frequency));

    public void Cancel() => _wheel.Cancel(this);
}
