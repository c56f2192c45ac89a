using System.Diagnostics;
using System.Net.Sockets;
using FastGate.Core.Transport;
using FastGate.Proxy.Config;

namespace FastGate.Proxy.Upstreams;

/// <summary>
/// Runtime state of one upstream endpoint of one cluster. It outlives reloads: a new snapshot whose
/// cluster names the same address gets this same object, so its pool and counters stay.
/// Thread-safe: the idle pool is behind a lock, counters are atomics.
/// </summary>
public sealed class EndpointState
{
    private readonly object _lock = new();
    private UpstreamConnection[] _idle = new UpstreamConnection[8];
    private int _idleCount;
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
    public long ActiveRequests => Interlocked.Read(ref _activeRequests);

    public int OpenConnections => Volatile.Read(ref _open);

    public int IdleConnections
    {
        get { lock (_lock) { return _idleCount; } }
    }

    /// <summary>The most idle connections kept for reuse (the cluster's max_idle_connections).</summary>
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

    internal void OnConnectionClosed() => Interlocked.Decrement(ref _open);

    /// <summary>Takes the most recently used live idle connection, if any.</summary>
    public UpstreamConnection? TryRent()
    {
        while (true)
        {
            UpstreamConnection? connection;
            lock (_lock)
            {
                if (_idleCount == 0)
                {
                    return null;
                }
                connection = _idle[--_idleCount];
                _idle[_idleCount] = null!;
            }
            if (!connection.IsStale())
            {
                return connection;
            }
            connection.Dispose();
        }
    }

    /// <summary>Puts a connection whose last exchange ended cleanly back for reuse.</summary>
    public void Return(UpstreamConnection connection)
    {
        connection.Uses++;
        connection.IdleSince = Stopwatch.GetTimestamp();
        lock (_lock)
        {
            if (!_retired && _idleCount < _maxIdle)
            {
                if (_idleCount == _idle.Length)
                {
                    Array.Resize(ref _idle, _idle.Length * 2);
                }
                _idle[_idleCount++] = connection;
                return;
            }
        }
        connection.Dispose();
    }

    /// <summary>Opens a new connection; throws <see cref="SocketException"/> or <see cref="OperationCanceledException"/> (timeout).</summary>
    public async ValueTask<UpstreamConnection> ConnectAsync(TimeSpan timeout)
    {
        var transport = await _connector.ConnectAsync(Model.EndPoint, timeout).ConfigureAwait(false);
        Interlocked.Increment(ref _open);
        return new UpstreamConnection(transport, this);
    }

    /// <summary>Closes idle connections older than the idle timeout (called by the heartbeat).</summary>
    public void CloseExpired(long now)
    {
        while (true)
        {
            UpstreamConnection? expired = null;
            lock (_lock)
            {
                // The oldest idle connection sits at the bottom of the stack.
                if (_idleCount > 0 && now - _idle[0].IdleSince > _idleTimeoutTicks)
                {
                    expired = _idle[0];
                    Array.Copy(_idle, 1, _idle, 0, _idleCount - 1);
                    _idle[--_idleCount] = null!;
                }
            }
            if (expired is null)
            {
                return;
            }
            expired.Dispose();
        }
    }

    /// <summary>The endpoint left the config: close its idle connections and pool nothing more.</summary>
    public void Retire()
    {
        UpstreamConnection[] idle;
        int count;
        lock (_lock)
        {
            _retired = true;
            idle = _idle;
            count = _idleCount;
            _idle = new UpstreamConnection[1];
            _idleCount = 0;
        }
        for (var i = 0; i < count; i++)
        {
            idle[i].Dispose();
        }
    }
}
