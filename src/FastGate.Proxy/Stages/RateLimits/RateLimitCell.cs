namespace FastGate.Proxy.Stages.RateLimits;

/// <summary>
/// The state of one key of one limit in the local store: a GCRA theoretical arrival time, and
/// for concurrency limits the exchanges in flight. Changed only by compare-and-swap. A cell the
/// sweep retired holds <see cref="Dead"/> as its TAT: whoever meets one looks the key up again.
/// An exchange that holds a concurrency slot keeps its cell (in a slot of the exchange) and gives
/// the slot back to that same cell, whatever became of the table meanwhile.
/// </summary>
public sealed class RateLimitCell
{
    internal const long Dead = long.MinValue;

    internal long Tat;
    internal int InFlight;

    /// <summary>Exchanges holding a slot of this key now (concurrency limits).</summary>
    public int InFlightCount => Volatile.Read(ref InFlight);
}
