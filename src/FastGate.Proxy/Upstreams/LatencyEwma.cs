using System.Diagnostics;

namespace FastGate.Proxy.Upstreams;

/// <summary>
/// A peak-sensitive moving average of an endpoint's response latency, as Finagle's and Linkerd's
/// peak-EWMA balancers keep it: a sample above the estimate replaces it at once (a slow endpoint
/// is believed immediately), a sample below pulls it down with weight 1 - e^(-dt/tau), dt being
/// the time since the last sample (a fast endpoint is believed gradually, and by time rather
/// than by count, so a busy and a quiet endpoint forget at the same pace). Read for balancing,
/// the estimate also decays toward zero while no sample comes, so an endpoint that once looked
/// slow and lost every choice since is tried again instead of starving.
/// Lock-free: the estimate (a float, seconds) and its time (milliseconds, wrapping every 49 days)
/// share one 64-bit word updated by compare-and-swap; 0 means no sample yet.
/// </summary>
public sealed class LatencyEwma
{
    public static readonly TimeSpan DefaultDecay = TimeSpan.FromSeconds(10);

    private static readonly long TicksPerMillisecond = Math.Max(Stopwatch.Frequency / 1000, 1);

    private static readonly double SecondsPerTick = 1.0 / Stopwatch.Frequency;

    /// <summary>Samples are at least this (seconds), so a stored estimate is never the empty word.</summary>
    private const float Floor = 1e-6f;

    /// <summary>1/tau per millisecond: every pick and response multiplies by it rather than divides by tau.</summary>
    private readonly double _decayRate;
    private long _packed;

    public LatencyEwma() : this(DefaultDecay)
    {
    }

    /// <param name="decay">tau: after this long, an old estimate weighs e^-1 against a new sample.</param>
    public LatencyEwma(TimeSpan decay)
    {
        _decayRate = 1 / Math.Max(decay.TotalMilliseconds, 1);
    }

    public bool HasSample => Volatile.Read(ref _packed) != 0;

    /// <summary>The estimate as of the last sample, in seconds (0 before any).</summary>
    public double Seconds => Value(Volatile.Read(ref _packed));

    /// <summary>Adds a sample of <paramref name="latencyTicks"/> (Stopwatch ticks) taken at <paramref name="now"/>.</summary>
    /// <param name="peakOnly">The sample may raise the estimate but not lower it (an error response, which proves nothing about speed).</param>
    public void Observe(long latencyTicks, long now, bool peakOnly = false)
    {
        var sample = Math.Max((float)(latencyTicks * SecondsPerTick), Floor);
        var stamp = Stamp(now);
        while (true)
        {
            var old = Volatile.Read(ref _packed);
            float next;
            if (old == 0 || sample >= Value(old))
            {
                next = sample;
            }
            else if (peakOnly)
            {
                // Held where it was, and the clock restarted: a failing endpoint must not look
                // faster the longer it fails.
                next = Value(old);
            }
            else
            {
                var weight = Math.Exp(-Elapsed(old, stamp) * _decayRate);
                next = (float)(Value(old) * weight + sample * (1 - weight));
            }
            if (Interlocked.CompareExchange(ref _packed, Pack(next, stamp), old) == old)
            {
                return;
            }
        }
    }

    /// <summary>
    /// The estimate for balancing at <paramref name="now"/>, in seconds: the last estimate decayed
    /// toward zero by the time since; 0 before any sample. A read, never a write.
    /// </summary>
    public double Estimate(long now)
    {
        var packed = Volatile.Read(ref _packed);
        if (packed == 0)
        {
            return 0;
        }
        return Value(packed) * Math.Exp(-Elapsed(packed, Stamp(now)) * _decayRate);
    }

    /// <summary>
    /// This estimate over <paramref name="other"/>'s, both decayed to the same moment; both must
    /// have a sample. They decay at the same rate, so the ratio depends only on their values and
    /// on how far apart their last samples were: comparing two endpoints needs no clock.
    /// </summary>
    public double RatioTo(LatencyEwma other)
    {
        var mine = Volatile.Read(ref _packed);
        var theirs = Volatile.Read(ref other._packed);
        // Milliseconds my last sample came after theirs; signed, so the wrap of the stamps cancels.
        var later = (double)(int)((uint)mine - (uint)theirs);
        return Value(mine) / Value(theirs) * Math.Exp(later * _decayRate);
    }

    private static uint Stamp(long now) => (uint)(now / TicksPerMillisecond);

    /// <summary>Milliseconds from the word's stamp to <paramref name="stamp"/>; unsigned subtraction survives the wrap.</summary>
    private static double Elapsed(long packed, uint stamp)
    {
        var elapsed = stamp - (uint)packed;
        // A stamp a little ahead (a sample taken on another thread a moment later) is no time at all.
        return elapsed > uint.MaxValue / 2 ? 0 : elapsed;
    }

    private static float Value(long packed) => packed == 0 ? 0 : BitConverter.Int32BitsToSingle((int)(packed >> 32));

    private static long Pack(float value, uint stamp) => ((long)BitConverter.SingleToInt32Bits(value) << 32) | stamp;
}
