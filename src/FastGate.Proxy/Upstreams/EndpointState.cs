using System.Diagnostics;
using System.Net.Sockets;
using FastGate.Core.Transport;
using FastGate.Core.Transport.Epoll;
using FastGate.Proxy.Config;

namespace FastGate.Proxy.Upstreams;

/// <summary>
/// Runtime state of one upstream endpoint of one cluster. It outlives reloads: a new snapshot whose
/// cluster names the same address gets this same object, so its pool and counters stay.
/// Thread-safe: the idle pool is behind a lock, counters are atomics. The idle pool has one lane
/// per event loop (and one for connections off the loops): a connection is only ever reused on
/// the loop that opened it, so an exchange's client and upstream sides share a thread.
/// Health, ejection and slow start are in EndpointState.Health.cs; the latency estimate for
/// peak-EWMA balancing is <see cref="Latency"/>. All of it lives here so that it survives reloads.
/// </summary>
public sealed partial class EndpointState
{
    private readonly object _lock = new();
    private UpstreamConnection[][] _idle = [new UpstreamConnection[8]];
    private int[] _idleCounts = [0];
    private int _maxIdle = 64;
    private long _idleTimeoutTicks = Stopwatch.Frequency * 60;
    private int _open;
    private long _activeRequests;
    private bool _retired;
    private EndpointModel _model = null!;

    private readonly IUpstreamConnector _connector;

    public EndpointState(EndpointModel model, IUpstreamConnector connector)
    {
        Model = model;
        _connector = connector;
        Addresses = new EndpointAddresses(model.EndPoint);
    }

    /// <summary>The latest model for this address (the weight may change on reload; set only when a reload commits).</summary>
    public EndpointModel Model
    {
        get => _model;
        set
        {
            _model = value;
            AddressUtf8 = System.Text.Encoding.UTF8.GetBytes(value.Address);
            HostHeaderUtf8 = System.Text.Encoding.UTF8.GetBytes(value.HostHeader);
        }
    }

    public string Address => Model.Address;

    /// <summary>The address as UTF-8, for the access log.</summary>
    public byte[] AddressUtf8 { get; private set; } = [];

    /// <summary>The Host sent upstream when the client sent none (HTTP/1.0).</summary>
    public byte[] HostHeaderUtf8 { get; private set; } = [];

    /// <summary>Requests in flight to this endpoint (for least-request balancing and metrics).</summary>
    public long ActiveRequests => Volatile.Read(ref _activeRequests);

    public int OpenConnections => Volatile.Read(ref _open);

    /// <summary>
    /// The cluster's shared counters (circuit caps, retry budget, endpoints out of rotation) and
    /// its model in force; set when the endpoint is built. An endpoint built on its own (tests,
    /// benchmarks) gets a cluster of its own with the default settings.
    /// </summary>
    public ClusterState Cluster { get; internal set; } = new("");

    /// <summary>The response latency estimate, for peak-EWMA balancing and metrics.</summary>
    public LatencyEwma Latency { get; } = new();

    /// <summary>Where new connections go (the resolved addresses of a host name).</summary>
    public EndpointAddresses Addresses { get; internal set; } = null!;

    public int IdleConnections
    {
        get { lock (_lock) { return _idleCounts.Sum(); } }
    }

    public int MaxIdleConnections
    {
        get { lock (_lock) { return _maxIdle; } }
    }

    /// <summary>How long an idle connection is kept (the cluster's idle_timeout).</summary>
    public TimeSpan IdleTimeout
    {
        get { lock (_lock) { return TimeSpan.FromSeconds((double)_idleTimeoutTicks / Stopwatch.Frequency); } }
    }

    public void Configure(int maxIdle, TimeSpan idleTimeout)
    {
        lock (_lock)
        {
            _maxIdle = maxIdle;
            _idleTimeoutTicks = (long)(idleTimeout.TotalSeconds * Stopwatch.Frequency);
        }
    }

    public void OnRequestStart() => Interlocked.Increment(ref _activeRequests);

    public void OnRequestEnd() => Interlocked.Decrement(ref _activeRequests);

    internal void OnConnectionClosed()
    {
        Interlocked.Decrement(ref _open);
        Cluster.ConnectionClosed();
    }

    /// <summary>The caller's lane: its loop's index + 1, or 0 off the loops.</summary>
    private static int CurrentLane => EventLoop.Current is { } loop ? loop.Index + 1 : 0;

    /// <summary>Takes the most recently used live idle connection of the caller's loop, if any.</summary>
    public UpstreamConnection? TryRent()
    {
        if (IsHttp2)
        {
            return TryRentStream();
        }
        var lane = CurrentLane;
        while (true)
        {
            UpstreamConnection? connection;
            lock (_lock)
            {
                if (lane >= _idleCounts.Length || _idleCounts[lane] == 0)
                {
                    return null;
                }
                var idle = _idle[lane];
                connection = idle[--_idleCounts[lane]];
                idle[_idleCounts[lane]] = null!;
            }
            if (!connection.IsStale() && Addresses.IsCurrent(connection.Target)
                && connection.Tls == Cluster.Tls.For(Cluster.Model.Tls))
            {
                return connection;
            }
            connection.Dispose();
        }
    }

    /// <summary>Puts a connection whose last exchange ended cleanly back for reuse.</summary>
    public void Return(UpstreamConnection connection)
    {
        if (IsHttp2)
        {
            // An HTTP/2 stream serves one exchange: returning it ends it (EndpointState.Http2.cs).
            connection.Dispose();
            return;
        }
        connection.Uses++;
        // The loop turn's time on a loop (no clock read per request); the sweep may then find it idle a turn early.
        connection.IdleSince = LoopClock.Now;
        var lane = connection.Lane;
        lock (_lock)
        {
            if (lane >= _idleCounts.Length)
            {
                Array.Resize(ref _idle, lane + 1);
                Array.Resize(ref _idleCounts, lane + 1);
            }
            var idle = _idle[lane] ??= new UpstreamConnection[8];
            var count = _idleCounts[lane];
            if (!_retired && count < _maxIdle)
            {
                if (count == idle.Length)
                {
                    Array.Resize(ref _idle[lane], count * 2);
                    idle = _idle[lane];
                }
                idle[count] = connection;
                _idleCounts[lane] = count + 1;
                return;
            }
        }
        connection.Dispose();
    }

    /// <summary>
    /// Opens a new connection, with its TLS handshake when the cluster has TLS (the timeout covers
    /// both); throws <see cref="SocketException"/>, <see cref="UpstreamTlsException"/> or
    /// <see cref="OperationCanceledException"/> (timeout).
    /// </summary>
    public async ValueTask<UpstreamConnection> ConnectAsync(TimeSpan timeout)
    {
        if (IsHttp2)
        {
            return await ConnectStreamAsync(timeout).ConfigureAwait(false);
        }
        var target = Addresses.Next();
        var lane = CurrentLane;
        var tls = Cluster.Tls.For(Cluster.Model.Tls);
        ITransport transport;
        if (tls is null)
        {
            transport = await _connector.ConnectAsync(target, timeout).ConfigureAwait(false);
        }
        else
        {
            var started = Stopwatch.GetTimestamp();
            // See UpstreamTls: TLS runs over a socket any thread may use, not a loop's own. A
            // connector of another kind (an in-memory one in tests) is used as it is.
            var socket = _connector is EpollConnector or SocketConnector
                ? await NetworkStreamTransport.ConnectAsync(target, timeout).ConfigureAwait(false)
                : await _connector.ConnectAsync(target, timeout).ConfigureAwait(false);
            var left = timeout - Stopwatch.GetElapsedTime(started);
            transport = await tls.AuthenticateAsync(socket, target, tls.TargetHost(Model), left > TimeSpan.Zero ? left : TimeSpan.FromMilliseconds(1)).ConfigureAwait(false);
        }
        Interlocked.Increment(ref _open);
        Cluster.ConnectionOpened();
        return new UpstreamConnection(transport, this, target, tls, lane);
    }

    /// <summary>Closes idle connections older than the idle timeout (called by the heartbeat).</summary>
    public void CloseExpired(long now)
    {
        CloseIdleSessions(now);
        for (var lane = 0; ; lane++)
        {
            while (true)
            {
                UpstreamConnection? expired = null;
                lock (_lock)
                {
                    if (lane >= _idleCounts.Length)
                    {
                        return;
                    }
                    // The oldest idle connection sits at the bottom of the stack.
                    var idle = _idle[lane];
                    var count = _idleCounts[lane];
                    if (count > 0 && now - idle[0].IdleSince > _idleTimeoutTicks)
                    {
                        expired = idle[0];
                        Array.Copy(idle, 1, idle, 0, count - 1);
                        idle[count - 1] = null!;
                        _idleCounts[lane] = count - 1;
                    }
                }
                if (expired is null)
                {
                    break;
                }
                expired.Dispose();
            }
        }
    }

    /// <summary>The endpoint left the config: close its idle connections and pool nothing more.</summary>
    public void Retire()
    {
        RetireHealth();
        RetireSessions();
        var closing = new List<UpstreamConnection>();
        lock (_lock)
        {
            _retired = true;
            for (var lane = 0; lane < _idleCounts.Length; lane++)
            {
                for (var i = 0; i < _idleCounts[lane]; i++)
                {
                    closing.Add(_idle[lane][i]);
                }
                _idle[lane] = new UpstreamConnection[1];
                _idleCounts[lane] = 0;
            }
        }
        foreach (var connection in closing)
        {
            connection.Dispose();
        }
    }
}
