using System.Diagnostics;
using FastGate.Core.Transport;
using FastGate.Core.Transport.Epoll;
using FastGate.Proxy.Config;
using FastGate.Proxy.Upstreams.Http2;

namespace FastGate.Proxy.Upstreams;

/// <summary>
/// The endpoint of a cluster with protocol = "h2" or "h2c": instead of a pool of idle HTTP/1.1
/// connections it keeps HTTP/2 sessions, each carrying up to max_streams_per_connection exchanges
/// at once (fewer if the server's SETTINGS say so). Renting gives a new stream on a session with
/// room; connecting opens a session only when none has room, and exchanges that want one at the
/// same moment share the one being opened, so a burst of requests lands on few connections. A
/// stream is handed out as an <see cref="UpstreamConnection"/>, counted as an open connection
/// while its exchange holds it (so the cluster's max_connections caps streams in flight), and
/// never pooled: returning it ends the stream.
/// </summary>
public sealed partial class EndpointState
{
    private readonly object _sessionsLock = new();
    private readonly List<Http2UpstreamSession> _sessions = [];
    private Task<Http2UpstreamSession>? _sessionConnecting;

    /// <summary>The endpoint's cluster speaks HTTP/2 to it.</summary>
    private bool IsHttp2 => Cluster.Model.Protocol != UpstreamProtocol.Http1;

    /// <summary>HTTP/2 sessions open to this endpoint now.</summary>
    public int Http2Sessions
    {
        get
        {
            lock (_sessionsLock)
            {
                return _sessions.Count(s => !s.IsClosed);
            }
        }
    }

    /// <summary>A new stream on an open session with room, or null.</summary>
    private UpstreamConnection? TryRentStream()
    {
        var stream = TryOpenStream(out var session);
        return stream is null ? null : Wrap(stream, session!);
    }

    private Http2UpstreamStream? TryOpenStream(out Http2UpstreamSession? on, Http2UpstreamStream? resent = null, Http2UpstreamSession? avoid = null)
    {
        var tls = Cluster.Tls.For(Cluster.Model.Tls);
        lock (_sessionsLock)
        {
            for (var i = _sessions.Count - 1; i >= 0; i--)
            {
                var session = _sessions[i];
                if (session.IsClosed || session.IsDraining)
                {
                    _sessions.RemoveAt(i);
                    continue;
                }
                if (!Addresses.IsCurrent(session.Target) || session.Tls != tls)
                {
                    // The name resolves elsewhere now, or the TLS settings changed: no new streams here.
                    session.Drain();
                    _sessions.RemoveAt(i);
                }
            }
            // The first session with room: streams pack onto few connections.
            foreach (var session in _sessions)
            {
                if (session != avoid && session.TryAdmit(resent) is { } stream)
                {
                    on = session;
                    return stream;
                }
            }
        }
        on = null;
        return null;
    }

    private UpstreamConnection Wrap(Http2UpstreamStream stream, Http2UpstreamSession session)
    {
        Interlocked.Increment(ref _open);
        Cluster.ConnectionOpened();
        stream.Endpoint = this;
        return new UpstreamConnection(stream, this, session.Target, session.Tls);
    }

    /// <summary>
    /// A stream on a session with room, opening a session when none has (or waiting for the one
    /// being opened). Throws as <see cref="ConnectAsync"/> does when the connection cannot be made.
    /// </summary>
    private async ValueTask<UpstreamConnection> ConnectStreamAsync(TimeSpan timeout)
    {
        var started = Stopwatch.GetTimestamp();
        while (true)
        {
            if (TryOpenStream(out var open) is { } ready)
            {
                return Wrap(ready, open!);
            }
            var session = await NextSessionAsync(timeout, started).ConfigureAwait(false);
            if (session.TryOpenStream() is { } stream)
            {
                return Wrap(stream, session);
            }
            // Filled by the others who waited for it: another session, unless the time is up.
            if (Stopwatch.GetElapsedTime(started) >= timeout)
            {
                throw new OperationCanceledException("connect timeout");
            }
        }
    }

    /// <summary>
    /// The session being opened for this endpoint (one at a time, whoever asks first starts it),
    /// awaited for what is left of <paramref name="timeout"/> since <paramref name="started"/>.
    /// </summary>
    private async Task<Http2UpstreamSession> NextSessionAsync(TimeSpan timeout, long started)
    {
        Task<Http2UpstreamSession> connecting;
        lock (_sessionsLock)
        {
            connecting = _sessionConnecting ??= OpenSessionAsync(timeout);
        }
        var left = timeout - Stopwatch.GetElapsedTime(started);
        try
        {
            return await connecting.WaitAsync(left > TimeSpan.Zero ? left : TimeSpan.FromMilliseconds(1)).ConfigureAwait(false);
        }
        catch (TimeoutException ex)
        {
            throw new OperationCanceledException("connect timeout", ex);
        }
        finally
        {
            lock (_sessionsLock)
            {
                if (_sessionConnecting == connecting && connecting.IsCompleted)
                {
                    _sessionConnecting = null;
                }
            }
        }
    }

    private async Task<Http2UpstreamSession> OpenSessionAsync(TimeSpan timeout)
    {
        // Yields first, so the caller's lock is released before any work (or failure) happens.
        await Task.Yield();
        var started = Stopwatch.GetTimestamp();
        var target = Addresses.Next();
        var tls = Cluster.Tls.For(Cluster.Model.Tls);
        // The session's loops run on pool threads, so its socket is not an event loop's own.
        var transport = _connector is EpollConnector or SocketConnector
            ? await NetworkStreamTransport.ConnectAsync(target, timeout).ConfigureAwait(false)
            : await _connector.ConnectAsync(target, timeout).ConfigureAwait(false);
        if (tls is not null)
        {
            var tlsLeft = timeout - Stopwatch.GetElapsedTime(started);
            transport = await tls.AuthenticateAsync(transport, target, tls.TargetHost(Model), tlsLeft > TimeSpan.Zero ? tlsLeft : TimeSpan.FromMilliseconds(1)).ConfigureAwait(false);
        }
        var session = new Http2UpstreamSession(transport, tls is not null, Cluster.Model.MaxStreamsPerConnection, target) { Tls = tls };
        var left = timeout - Stopwatch.GetElapsedTime(started);
        await session.StartAsync(left > TimeSpan.Zero ? left : TimeSpan.FromMilliseconds(1)).ConfigureAwait(false);
        lock (_sessionsLock)
        {
            if (_retired)
            {
                session.Drain();
            }
            else
            {
                _sessions.Add(session);
            }
        }
        return session;
    }

    /// <summary>Closes sessions without a stream for the cluster's idle_timeout (the heartbeat calls it).</summary>
    private void CloseIdleSessions(long now)
    {
        long idleTicks;
        lock (_lock)
        {
            idleTicks = _idleTimeoutTicks;
        }
        lock (_sessionsLock)
        {
            for (var i = _sessions.Count - 1; i >= 0; i--)
            {
                if (_sessions[i].CloseIfIdle(now, idleTicks))
                {
                    _sessions.RemoveAt(i);
                }
            }
        }
    }

    /// <summary>The endpoint left the config: its sessions take no new streams and close when their last one ends.</summary>
    private void RetireSessions()
    {
        lock (_sessionsLock)
        {
            foreach (var session in _sessions)
            {
                session.Drain();
            }
            _sessions.Clear();
        }
    }
}
