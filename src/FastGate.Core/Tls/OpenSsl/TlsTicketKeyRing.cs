namespace FastGate.Core.Tls.OpenSsl;

/// <summary>
/// The session-ticket keys of a TLS listener: tickets are sealed with the newest key; a ticket
/// sealed with the previous one is still opened (and the client given a new one), anything older
/// is refused and the client makes a full handshake. The ring turns when it is used: once the
/// newest key is <see cref="Rotation"/> old, a new key is made and the newest becomes the
/// previous. A key opens tickets until it is two rotations old, whenever the ring turned: so it
/// seals tickets for about one rotation and a stolen key reads at most two rotations of them.
/// The ring outlives reloads (it is kept per listener name), so sessions do too; a restart makes
/// new keys and ends them all.
/// </summary>
public sealed class TlsTicketKeyRing
{
    private readonly TimeProvider _time;
    private readonly Lock _sync = new();
    private TlsTicketKey? _newest;
    private TlsTicketKey? _previous;
    private long _rotationTicks;

    public TlsTicketKeyRing(TimeSpan rotation, TimeProvider? time = null)
    {
        _time = time ?? TimeProvider.System;
        Rotation = rotation;
    }

    /// <summary>How long a key seals tickets; a reload may change it, the keys stay.</summary>
    public TimeSpan Rotation
    {
        get => TimeSpan.FromSeconds(Volatile.Read(ref _rotationTicks) / (double)_time.TimestampFrequency);
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(value, TimeSpan.Zero);
            Volatile.Write(ref _rotationTicks, (long)(value.TotalSeconds * _time.TimestampFrequency));
        }
    }

    /// <summary>The key a new ticket is sealed with.</summary>
    public TlsTicketKey Sealing()
    {
        lock (_sync)
        {
            Turn();
            return _newest!;
        }
    }

    /// <summary>
    /// The key named <paramref name="name"/> if a ticket sealed with it is still accepted, else
    /// null; <paramref name="newest"/> false asks the caller to renew the client's ticket.
    /// </summary>
    public TlsTicketKey? Opening(ReadOnlySpan<byte> name, out bool newest)
    {
        lock (_sync)
        {
            Turn();
            if (_newest!.Name.SequenceEqual(name))
            {
                newest = true;
                return _newest;
            }
            newest = false;
            var expired = _previous is null || _time.GetTimestamp() - _previous.CreatedTimestamp >= 2 * Volatile.Read(ref _rotationTicks);
            return !expired && _previous!.Name.SequenceEqual(name) ? _previous : null;
        }
    }

    private void Turn()
    {
        var now = _time.GetTimestamp();
        if (_newest is null)
        {
            _newest = new TlsTicketKey(now);
            return;
        }
        var age = now - _newest.CreatedTimestamp;
        var rotation = Volatile.Read(ref _rotationTicks);
        if (age < rotation)
        {
            return;
        }
        _previous = age < 2 * rotation ? _newest : null;
        _newest = new TlsTicketKey(now);
    }
}
