using System.Diagnostics;

namespace FastGate.Core.Transport.Epoll;

/// <summary>
/// A hashed timer wheel for one loop: slots of <see cref="TickMilliseconds"/> over a horizon of
/// about a minute; a timer further out sits in its slot and is passed over until its round
/// comes. Header, idle and body timeouts of every connection on the loop live here, so no thread
/// scans connections, and a loop with no timer sleeps until I/O wakes it.
/// </summary>
public sealed class TimerWheel
{
    public const int TickMilliseconds = 16;
    private const int SlotCount = 4096;
    private const int SlotMask = SlotCount - 1;
    // How far WaitMilliseconds looks for the next slot with a timer: about a second.
    private const int LookaheadTicks = 64;

    private static readonly long TickLength = Stopwatch.Frequency * TickMilliseconds / 1000;

    private readonly LoopTimer?[] _slots = new LoopTimer?[SlotCount];
    // What Run collects before it fires or moves anything: kept here, grown as needed and cleared
    // after each run, rather than as a link in every timer, which every idle connection keeps.
    private LoopTimer[] _due = new LoopTimer[16];
    private LoopTimer[] _moved = new LoopTimer[16];
    private long _processedTick;
    private int _count;

    public TimerWheel()
    {
        _processedTick = Stopwatch.GetTimestamp() / TickLength;
    }

    /// <summary>Timers scheduled now.</summary>
    public int Count => _count;

    public LoopTimer Create(ILoopTimerTarget target) => new(this, target);

    internal void Schedule(LoopTimer timer, long due)
    {
        // The slot of the first tick that starts after the due time, so that every timer in a
        // slot being processed is due (but those a whole round out); never a slot already
        // processed: a due time in the past fires on the next tick.
        var tick = Math.Max((due / TickLength) + 1, _processedTick + 1);
        var slot = (int)(tick & SlotMask);
        timer.Due = due;
        if (timer.Slot == slot)
        {
            return;
        }
        Unlink(timer);
        timer.Slot = slot;
        var head = _slots[slot];
        timer.Next = head;
        timer.Previous = null;
        if (head is not null)
        {
            head.Previous = timer;
        }
        _slots[slot] = timer;
        _count++;
    }

    internal void Rearm(LoopTimer timer, long due)
    {
        // Its slot comes up at or before the new due time; Run moves it on from there.
        if (timer.Slot >= 0 && timer.Due <= due)
        {
            timer.Due = due;
            return;
        }
        Schedule(timer, due);
    }

    internal void Cancel(LoopTimer timer)
    {
        Unlink(timer);
        timer.Due = 0;
    }

    private void Unlink(LoopTimer timer)
    {
        if (timer.Slot < 0)
        {
            return;
        }
        if (timer.Previous is null)
        {
            _slots[timer.Slot] = timer.Next;
        }
        else
        {
            timer.Previous.Next = timer.Next;
        }
        if (timer.Next is not null)
        {
            timer.Next.Previous = timer.Previous;
        }
        timer.Previous = null;
        timer.Next = null;
        timer.Slot = -1;
        _count--;
    }

    /// <summary>
    /// Milliseconds epoll_wait may sleep: until the tick of the first slot with a timer begins
    /// (looking at most <see cref="LookaheadTicks"/> ahead), when <see cref="Run"/> fires what is
    /// due there; 0 only when that tick has already begun; -1 when no timer is scheduled.
    /// </summary>
    /// <remarks>
    /// Rounded up: a wait rounded down to 0 while the tick still had a fraction of a millisecond
    /// to go made the loop poll epoll_wait without sleeping until it was over (hundreds of empty
    /// calls per tick, every tick, on a loop with any timer). Sleeping past empty slots spares a
    /// loop whose timeouts are all far off (idle, keep-alive) a wake-up per tick.
    /// </remarks>
    public int WaitMilliseconds(long now)
    {
        if (_count == 0)
        {
            return -1;
        }
        // Slot t holds timers due before the start of tick t; Run fires them once tick t has begun.
        var tick = _processedTick + 1;
        var last = _processedTick + LookaheadTicks;
        while (tick < last && _slots[(int)(tick & SlotMask)] is null)
        {
            tick++;
        }
        var remaining = (tick * TickLength) - now;
        if (remaining <= 0)
        {
            return 0;
        }
        return (int)(((remaining * 1000) + Stopwatch.Frequency - 1) / Stopwatch.Frequency);
    }

    /// <summary>Fires every timer due by <paramref name="now"/>; returns how many fired.</summary>
    public int Run(long now)
    {
        var current = now / TickLength;
        if (_count == 0)
        {
            _processedTick = current;
            return 0;
        }
        // Collect first, fire after: a target may schedule or cancel any timer, and one due now
        // must land in a later slot rather than in the one being walked.
        var dueCount = 0;
        // Timers rearmed later (see Rearm) that came up in a slot before their own: moved after
        // the walk, into slots it has not reached.
        var movedCount = 0;
        // After a long stall, one pass over the wheel visits every slot once.
        var from = Math.Max(_processedTick + 1, current - SlotMask);
        for (var tick = from; tick <= current; tick++)
        {
            var slot = (int)(tick & SlotMask);
            var timer = _slots[slot];
            while (timer is not null)
            {
                var next = timer.Next;
                if (timer.Due <= now)
                {
                    Unlink(timer);
                    Collect(ref _due, ref dueCount, timer);
                }
                else if ((int)(((timer.Due / TickLength) + 1) & SlotMask) != slot)
                {
                    Unlink(timer);
                    Collect(ref _moved, ref movedCount, timer);
                }
                timer = next;
            }
        }
        _processedTick = current;
        for (var i = 0; i < movedCount; i++)
        {
            var timer = _moved[i];
            _moved[i] = null!;
            Schedule(timer, timer.Due);
        }
        var fired = 0;
        // The order the timers were collected in is the order they fire in.
        for (var i = 0; i < dueCount; i++)
        {
            var timer = _due[i];
            _due[i] = null!;
            // Cancelled (Due 0) or moved (scheduled again) by an earlier target in this batch.
            if (timer.Slot >= 0 || timer.Due == 0)
            {
                continue;
            }
            timer.Due = 0;
            fired++;
            timer.Target.OnTimer(now);
        }
        return fired;
    }

    private static void Collect(ref LoopTimer[] list, ref int count, LoopTimer timer)
    {
        if (count == list.Length)
        {
            Array.Resize(ref list, list.Length * 2);
        }
        list[count++] = timer;
    }
}
