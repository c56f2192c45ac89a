namespace FastGate.Proxy.Forwarding.Http2;

/// <summary>
/// The client streams a connection reset (RFC 9113 §5.4.2, §6.4): frames the client had in flight
/// for one of them are ignored, where DATA on a stream that closed otherwise (END_STREAM both ways,
/// or its own RST_STREAM) is a connection error STREAM_CLOSED (§5.1). One bit per client stream
/// id over the last <see cref="Window"/> ids the client used, so however many streams are reset
/// each stays known while the client opens fewer than that many after it, in a fixed 128 bytes.
/// A stream older than the window may have been reset too, and what is left of it is ignored:
/// too old to tell one close from the other, and ignoring costs nothing (its DATA still counts
/// against the connection's window, which is given back).
/// </summary>
internal sealed class Http2ResetStreams
{
    /// <summary>Client streams (odd ids) covered behind the newest; a power of two.</summary>
    public const int Window = 1024;

    private readonly ulong[] _bits = new ulong[Window / 64];
    // The resets come from the connection's users (Http2Guard: nothing to take on an event loop).
    private readonly Http2Guard _guard;
    // The newest client stream id covered (0: none yet).
    private int _newest;

    public Http2ResetStreams(FastGate.Core.Transport.Epoll.EventLoop? loop = null) => _guard = new Http2Guard(loop);

    /// <summary>The client used a new stream id (read loop): the bits of ids that leave the window are cleared for the ids that take their place.</summary>
    public void Open(int id)
    {
        using (_guard.Enter())
        {
            if (id <= _newest)
            {
                return;
            }
            if ((long)(id - _newest) / 2 >= Window)
            {
                Array.Clear(_bits);
            }
            else
            {
                for (var next = _newest + 2; next <= id; next += 2)
                {
                    Set(next, false);
                }
            }
            _newest = id;
        }
    }

    /// <summary>We reset stream <paramref name="id"/> (any thread); one the client never used, or older than the window, needs no bit.</summary>
    public void Add(int id)
    {
        using (_guard.Enter())
        {
            if (id <= _newest && !IsOlderThanWindow(id))
            {
                Set(id, true);
            }
        }
    }

    /// <summary>True when frames for stream <paramref name="id"/> (at most the newest id used) are to be ignored: we reset it, or it is older than the window.</summary>
    public bool Contains(int id)
    {
        using (_guard.Enter())
        {
            if (id > _newest)
            {
                return false;
            }
            if (IsOlderThanWindow(id))
            {
                return true;
            }
            var slot = Slot(id);
            return (_bits[slot >> 6] & (1UL << (slot & 63))) != 0;
        }
    }

    private bool IsOlderThanWindow(int id) => (long)(_newest - id) / 2 >= Window;

    private static int Slot(int id) => (id >> 1) & (Window - 1);

    private void Set(int id, bool value)
    {
        var slot = Slot(id);
        if (value)
        {
            _bits[slot >> 6] |= 1UL << (slot & 63);
        }
        else
        {
            _bits[slot >> 6] &= ~(1UL << (slot & 63));
        }
    }
}
