namespace FastGate.Proxy.Forwarding;

/// <summary>
/// A connection's one deadline, shared by its loop (which arms it) and the heartbeat thread (which
/// fires it). Each arming gets a new generation, packed with the kind into one word, and a fire
/// is a compare-and-swap on the word it observed: a heartbeat that raced with a re-arm fails the
/// swap instead of erasing the new deadline or firing it with the old kind. The cancel a fire
/// sends may still land on a later I/O; the loop then sees <see cref="Fired"/> as None and
/// treats the cancel as stale.
/// </summary>
internal struct ConnectionDeadline
{
    private const long KindMask = 0xFF;
    private const long FiredBit = 0x100;
    private const int GenerationShift = 16;

    // generation << 16 | fired << 8 | kind.
    private long _state;
    private long _at;

    /// <summary>What the current arming waits for (None when disarmed).</summary>
    public readonly TimeoutKind Armed => (TimeoutKind)(Volatile.Read(in _state) & KindMask);

    /// <summary>The kind of the current arming if its deadline fired, else None (including for a stale cancel).</summary>
    public readonly TimeoutKind Fired
    {
        get
        {
            var state = Volatile.Read(in _state);
            return (state & FiredBit) != 0 ? (TimeoutKind)(state & KindMask) : TimeoutKind.None;
        }
    }

    /// <summary>
    /// A new arming that supersedes any earlier one, fired or not. The connection loop arms, and
    /// so does the request-body pump while a body streams, hence the compare-and-swap.
    /// </summary>
    public void Arm(TimeoutKind kind, long at)
    {
        while (true)
        {
            var state = Volatile.Read(ref _state);
            var next = (((state >> GenerationShift) + 1) << GenerationShift) | (long)kind;
            // The deadline is written before the word that publishes it, so a heartbeat that sees
            // the new generation also sees its deadline.
            Volatile.Write(ref _at, at);
            if (Interlocked.CompareExchange(ref _state, next, state) == state)
            {
                return;
            }
        }
    }

    public void Disarm() => Arm(TimeoutKind.None, 0);

    /// <summary>Heartbeat: the arming as it stands now, to pass to <see cref="TryFire"/>.</summary>
    public readonly long Observe() => Volatile.Read(in _state);

    /// <summary>
    /// Heartbeat: fires the arming it observed if its deadline has passed and it is still the
    /// current one; true at most once per arming.
    /// </summary>
    public bool TryFire(long observed, long now, out TimeoutKind kind)
    {
        kind = (TimeoutKind)(observed & KindMask);
        if (kind == TimeoutKind.None || (observed & FiredBit) != 0 || now < Volatile.Read(ref _at))
        {
            return false;
        }
        return Interlocked.CompareExchange(ref _state, observed | FiredBit, observed) == observed;
    }
}
