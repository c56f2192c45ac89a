using System.Diagnostics;
using System.Runtime.CompilerServices;
using FastGate.Core.Transport.Epoll;

namespace FastGate.Proxy.Forwarding.Http2;

/// <summary>
/// Guards the state an HTTP/2 connection's read loop, writer, response pumps and exchanges share
/// (<see cref="Http2Connection"/>, a stream's request side): a lock where they may run on
/// different threads (the portable transport, a stream transport, TLS without a loop), nothing on
/// an event loop. There every one of them runs on the loop thread (see the class remarks of
/// <see cref="Http2Connection"/>: the read loop and the writer resume on the loop, the exchanges
/// come back to it after every wait, the pumps run inline in those, the heartbeat's check and the
/// timers are the loop's), so a section under the guard can never meet another one, and a
/// request does not pay an enter and an exit for each of them.
/// <code>using (_guard.Enter()) { ... }</code>
/// </summary>
internal readonly struct Http2Guard
{
    private readonly Lock? _lock;
    private readonly EventLoop? _loop;

    /// <param name="loop">The event loop every user of the guarded state runs on; null when they may run anywhere.</param>
    public Http2Guard(EventLoop? loop)
    {
        _loop = loop;
        _lock = loop is null ? new Lock() : null;
    }

    /// <summary>Enters the guarded section; the scope's Dispose leaves it.</summary>
    // Inlined: on a loop an enter is then one test of a field, where a call cost more than the
    // section it guards (a request passes ten or so).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Scope Enter()
    {
        var gate = _lock;
        if (gate is null)
        {
            Debug.Assert(_loop is null || _loop.IsCurrent, "state of an HTTP/2 connection on an event loop touched off its loop thread");
            return default;
        }
        gate.Enter();
        return new Scope(gate);
    }

    /// <summary>A guarded section: leaves the lock, when there is one.</summary>
    public readonly ref struct Scope
    {
        private readonly Lock? _gate;

        internal Scope(Lock gate) => _gate = gate;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Dispose() => _gate?.Exit();
    }
}
