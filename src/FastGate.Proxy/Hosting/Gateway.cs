using System.Diagnostics;
using System.Net;
using FastGate.Core.Transport;
using FastGate.Core.Transport.Epoll;
using FastGate.Proxy.Config;
using FastGate.Proxy.Observability;
using FastGate.Proxy.Stages;
using FastGate.Proxy.Tls;
using FastGate.Proxy.Upstreams;

namespace FastGate.Proxy.Hosting;

/// <summary>
/// The running gateway: the current snapshot, the listeners, the endpoint states, the live
/// connections and the heartbeat that enforces their deadlines. Reloads are serialised by one
/// lock; the snapshot is published with one volatile write and read lock-free by every exchange.
/// </summary>
public sealed class Gateway : IDisposable
{
    private static readonly long HeartbeatTicks = Stopwatch.Frequency / 4;

    // Admin connections are few and slow; past this many, new ones wait in the backlog (and the
    // admin timeouts make room), so idle clients cannot hold the admin API.
    private const int MaxAdminConnections = 64;

    private readonly object _reloadLock = new();
    private readonly EndpointRegistry _endpoints;
    private readonly HealthChecker _healthChecker;
    private readonly DnsRefresher _dnsRefresher;
    private Dictionary<string, (ListenerModel Model, ConnectionListener Listener)> _listeners = new(StringComparer.Ordinal);
    private readonly Thread _heartbeat;
    // The TLS listeners of the current config, whose files the heartbeat watches.
    private volatile TlsListener[] _tlsListeners = [];
    private IConnectionHandler? _adminHandler;
    private IPEndPoint? _adminConfigured;
    private AdminBinding? _admin;
    private GatewaySnapshot _current = null!;
    private long _generation;
    private volatile bool _draining;
    private volatile bool _stopped;
    private EventLoopGroup? _loops;
    private (int Workers, TransportKind Transport) _started;

    public Gateway(GatewayLog log, IUpstreamConnector? connector = null)
    {
        Log = log;
        // Off the loops (tests, benchmarks that drive the gateway directly) it opens sockets as before.
        _endpoints = new EndpointRegistry(connector ?? new EpollConnector(SocketConnector.Default));
        _healthChecker = new HealthChecker(log);
        _dnsRefresher = new DnsRefresher(log);
        Stages = new StageServices(log, Metrics);
        _heartbeat = new Thread(HeartbeatLoop) { IsBackground = true, Name = "fastgate-heartbeat" };
    }

    public GatewaySnapshot Current => Volatile.Read(ref _current);
    public GatewayMetrics Metrics { get; } = new();
    public GatewayLog Log { get; }
    /// <summary>What the stages of every snapshot share; outlives reloads.</summary>
    public StageServices Stages { get; }
    public AccessLog? AccessLog { get; private set; }
    public ConnectionRegistry Connections { get; } = new();
    /// <summary>Spare exchanges, shared by every connection.</summary>
    public Forwarding.ExchangePool Exchanges { get; } = new();
    public bool Draining => _draining;
    public IEnumerable<EndpointState> Endpoints => _endpoints.All;
    /// <summary>The live clusters' shared states (circuit and retry counters), for metrics.</summary>
    public IEnumerable<ClusterState> Clusters => _endpoints.Clusters;

    /// <summary>Replaces the config's <c>transport</c> when set before <see cref="Start"/> (FASTGATE_TRANSPORT).</summary>
    public TransportKind? TransportOverride { get; init; }

    /// <summary>The event loops serving the listeners; null on the portable transport.</summary>
    public EventLoopGroup? Loops => _loops;

    /// <summary>The last reload's outcome, shown at /config; null before any reload.</summary>
    public ReloadResult? LastReload { get; private set; }

    /// <summary>The bound address of each listener by name (port 0 in the config binds a free port).</summary>
    public IPEndPoint ListenerEndPoint(string name) => _listeners[name].Listener.EndPoint;

    /// <summary>The admin socket serving now and its token; null when the gateway serves no admin API.</summary>
    public AdminBinding? Admin => Volatile.Read(ref _admin);

    /// <summary>
    /// Binds every listener and starts serving <paramref name="model"/>. Throws when a listener cannot bind.
    /// With <paramref name="admin"/>, the <c>[admin]</c> address is bound too and follows reloads.
    /// </summary>
    public void Start(ConfigModel model, IConnectionHandler? admin = null)
    {
        lock (_reloadLock)
        {
            _adminHandler = admin;
            _started = (model.Workers, model.Transport);
            if ((TransportOverride ?? model.Transport) == TransportKind.Epoll && EventLoopGroup.IsSupported)
            {
                _loops = new EventLoopGroup(model.Workers, ex => Log.Error($"event loop: {ex}"));
                Log.Info($"{_loops.Loops.Count} event loop(s)");
            }
            try
            {
                Apply(model);
            }
            catch
            {
                _loops?.Dispose();
                _loops = null;
                throw;
            }
            _heartbeat.Start();
        }
    }

    /// <summary>Swaps in a new config, or keeps the current one when <paramref name="load"/> failed or a listener cannot bind.</summary>
    public ReloadResult Reload(ConfigLoadResult load)
    {
        lock (_reloadLock)
        {
            ReloadResult result;
            if (load.Model is null || load.Errors.Count > 0)
            {
                result = new ReloadResult(false, Volatile.Read(ref _generation), load.Errors, DateTime.UtcNow);
            }
            else
            {
                try
                {
                    Apply(load.Model);
                    result = new ReloadResult(true, Volatile.Read(ref _generation), [], DateTime.UtcNow);
                }
                catch (InvalidOperationException ex)
                {
                    var error = new ConfigError(load.Model.SourcePath, 1, 1, ex.Message);
                    result = new ReloadResult(false, Volatile.Read(ref _generation), [error], DateTime.UtcNow);
                }
            }
            LastReload = result;
            Metrics.Reloaded(result.Success);
            if (result.Success)
            {
                Log.Info(result.Describe());
            }
            else
            {
                Log.Error(result.Describe());
            }
            return result;
        }
    }

    private void Apply(ConfigModel model)
    {
        var clusters = _endpoints.Build(model, out var endpointPlan);
        var generation = _generation + 1;
        var snapshot = new GatewaySnapshot(model, clusters, Metrics, generation, Stages);

        // A socket is identified by its address: one that stays (even under a new name) is kept,
        // so a reload never refuses a connection. New sockets are bound before anything changes,
        // so a listener that cannot bind leaves the running config untouched.
        var live = new Dictionary<IPEndPoint, ConnectionListener>();
        foreach (var (listenerModel, listener) in _listeners.Values)
        {
            live[listenerModel.Endpoint] = listener;
        }
        var next = new Dictionary<string, (ListenerModel Model, ConnectionListener Listener)>(StringComparer.Ordinal);
        var bound = new List<ConnectionListener>();
        var tls = new Dictionary<string, TlsListener>(StringComparer.Ordinal);
        var admin = _admin;
        try
        {
            foreach (var listenerModel in model.Listeners)
            {
                if (listenerModel.Tls is not null)
                {
                    // Certificates are read again on every reload; one that cannot be served fails it.
                    tls[listenerModel.Name] = new TlsListener(listenerModel.Name, BuildTls(listenerModel), Metrics.Tls, Log);
                }
                if (!live.TryGetValue(listenerModel.Endpoint, out var listener))
                {
                    listener = Bind($"listener '{listenerModel.Name}'", listenerModel.Endpoint, listenerModel.Backlog, listenerModel.MaxConnections,
                        listenerModel.ReusePort, HandlerFor(listenerModel, tls.GetValueOrDefault(listenerModel.Name)));
                    bound.Add(listener);
                }
                next[listenerModel.Name] = (listenerModel, listener);
            }
            if (_adminHandler is not null)
            {
                admin = NextAdmin(model.Admin, bound);
            }
        }
        catch
        {
            foreach (var listener in bound)
            {
                listener.Dispose();
            }
            throw;
        }

        // Every socket is bound: from here on nothing fails, so endpoint settings change only now,
        // and before the snapshot is published so its first exchange sees them.
        _endpoints.Commit(endpointPlan);
        Volatile.Write(ref _current, snapshot);
        _generation = generation;
        var previousAdmin = _admin;
        Volatile.Write(ref _admin, admin);
        _adminConfigured = model.Admin.Endpoint;
        if (admin is not null && !ReferenceEquals(admin.Listener, previousAdmin?.Listener))
        {
            admin.Listener.Start();
            Log.Info($"admin on {admin.Listener.EndPoint}");
        }
        if (previousAdmin is not null && !ReferenceEquals(admin?.Listener, previousAdmin.Listener))
        {
            // Connections it already accepted are refused at their next request: the binding moved.
            previousAdmin.Listener.Stop();
            Log.Info($"admin on {previousAdmin.Listener.EndPoint} closed");
        }
        AccessLog = ReplaceAccessLog(AccessLog, model.Log.Access);
        Log.Level = model.Log.Level;
        if (_loops is not null && _loops.BusyPoll != model.BusyPoll)
        {
            _loops.BusyPoll = model.BusyPoll;
            Log.Info(model.BusyPoll > TimeSpan.Zero ? $"event loops poll busy for {model.BusyPoll.TotalMicroseconds:0}us after a turn with events" : "event loops sleep as soon as they are idle (busy_poll off)");
        }
        if (_current is not null && (model.Workers, model.Transport) != _started)
        {
            Log.Warn("'workers' and 'transport' take effect when the daemon restarts; the running loops stay as they are");
        }
        foreach (var (name, cluster) in model.Clusters)
        {
            if (cluster.Tls is { Verify: false })
            {
                Log.Warn($"cluster '{name}': tls_verify = false, its upstreams' certificates are not checked (anyone on the path can pose as them)");
            }
        }
        // Endpoints that stay keep their check and lookup schedules; new ones start, gone ones stop.
        _dnsRefresher.Update(snapshot.Clusters.Values);
        _healthChecker.Update(snapshot.Clusters.Values);

        foreach (var (name, (listenerModel, listener)) in next)
        {
            listener.Handler = HandlerFor(listenerModel, tls.GetValueOrDefault(name));
            if (bound.Contains(listener))
            {
                if (_loops is not null)
                {
                    listener.Start(_loops);
                }
                else
                {
                    listener.Start();
                }
                Log.Info($"listener '{name}' on {listener.EndPoint}");
            }
        }
        foreach (var (name, (_, listener)) in _listeners)
        {
            if (!next.Values.Any(entry => ReferenceEquals(entry.Listener, listener)))
            {
                // Connections already accepted finish on their snapshot; no new ones arrive here.
                listener.Stop();
                Log.Info($"listener '{name}' closed");
            }
        }
        _listeners = next;
        _tlsListeners = [.. tls.Values];
    }

    private static TlsTermination BuildTls(ListenerModel listener)
    {
        try
        {
            return TlsTermination.Build(listener.Tls!, DateTime.UtcNow);
        }
        catch (TlsCertificateException ex)
        {
            throw new InvalidOperationException($"listener '{listener.Name}': {ex.Message}", ex);
        }
    }

    /// <summary>Serves a listener by its protocol: HTTP exchanges (over TLS when it has <paramref name="tls"/>), or bytes forwarded as they are (tcp, tls-passthrough).</summary>
    private IConnectionHandler HandlerFor(ListenerModel listener, TlsListener? tls) => listener.Protocol == ListenerProtocol.Http
        ? new HttpConnectionHandler(this, listener.Name, tls)
        : new L4.L4ConnectionHandler(this, listener.Name);

    /// <summary>The admin binding for <paramref name="model"/>: the same socket when the address stays, else a new one (added to <paramref name="bound"/>).</summary>
    private AdminBinding? NextAdmin(AdminModel model, List<ConnectionListener> bound)
    {
        if (model.Endpoint is not { } endpoint)
        {
            return null;
        }
        // The loader asks for a token off loopback; checked again here against the address that will
        // actually be bound, so no path (an empty secret, a loader change) serves the admin API open.
        if (!IPAddress.IsLoopback(endpoint.Address) && string.IsNullOrEmpty(model.Token))
        {
            throw new InvalidOperationException($"the admin listener on {endpoint} is not a loopback address and has no token: set 'token' in [admin]");
        }
        var listener = _admin is not null && endpoint.Equals(_adminConfigured)
            ? _admin.Listener
            : Bind("the admin listener", endpoint, 64, MaxAdminConnections, reusePort: false, _adminHandler!);
        if (!ReferenceEquals(listener, _admin?.Listener))
        {
            bound.Add(listener);
        }
        return new AdminBinding(listener, string.IsNullOrEmpty(model.Token) ? null : model.Token);
    }

    /// <summary>Binds a socket, or throws an error that names what was being bound and where.</summary>
    private static ConnectionListener Bind(string owner, IPEndPoint endpoint, int backlog, int maxConnections, bool reusePort, IConnectionHandler handler)
    {
        try
        {
            return new ConnectionListener(endpoint, backlog, maxConnections, handler, reusePort);
        }
        catch (System.Net.Sockets.SocketException ex)
        {
            var hint = ex.SocketErrorCode == System.Net.Sockets.SocketError.AddressAlreadyInUse
                ? " (another process listens there, e.g. a second fastgate; set reuse_port = true on the listener to share the port on purpose)"
                : "";
            throw new InvalidOperationException($"{owner} cannot listen on {endpoint}: {ex.Message}{hint}", ex);
        }
    }

    private static AccessLog? ReplaceAccessLog(AccessLog? current, string? target)
    {
        if (current is not null && current.Target == target)
        {
            return current;
        }
        var next = target is null ? null : new AccessLog(target);
        current?.Dispose();
        return next;
    }

    /// <summary>See <see cref="AccessLog.ReopenAsync"/>; true with no access log.</summary>
    public Task<bool> ReopenAccessLogAsync() => AccessLog?.ReopenAsync() ?? Task.FromResult(true);

    /// <summary>A listener stopped accepting at its cap: counted always, logged at most every few seconds.</summary>
    internal void OnListenerCapped(string name, ConnectionListener listener)
    {
        var state = Metrics.Listener(name);
        if (state.OnCapacityReached(Stopwatch.GetTimestamp()))
        {
            Log.Warn($"listener '{name}' on {listener.EndPoint} reached max_connections ({listener.ActiveConnections} open): new connections wait in the accept queue until one closes ({state.CapacityPauses} pause(s) so far)");
        }
    }

    /// <summary>Closes the admin socket (shutdown: the admin API goes first so no reload races the drain).</summary>
    public void StopAdmin()
    {
        lock (_reloadLock)
        {
            _admin?.Listener.Stop();
        }
    }

    /// <summary>How long connections get to end their streams once the drain timeout expired.</summary>
    private static readonly TimeSpan StreamEndGrace = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Stops accepting, closes idle connections, lets in-flight exchanges finish, and returns when
    /// none is left or <paramref name="timeout"/> passes. Then long-lived streams are asked to
    /// end gracefully (<see cref="IHeartbeatTarget.EndStreams"/>) and get a short, bounded grace to
    /// do it. Returns the connections still open.
    /// </summary>
    public async Task<int> DrainAsync(TimeSpan timeout)
    {
        _draining = true;
        lock (_reloadLock)
        {
            foreach (var (_, listener) in _listeners.Values)
            {
                listener.Stop();
            }
        }
        var deadline = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        while (true)
        {
            Connections.CloseAllWhenIdle();
            var open = Connections.Count;
            if (open == 0)
            {
                return open;
            }
            if (Stopwatch.GetTimestamp() > deadline)
            {
                break;
            }
            await Task.Delay(50).ConfigureAwait(false);
        }
        Connections.EndAllStreams();
        var graceEnd = Stopwatch.GetTimestamp() + (long)(StreamEndGrace.TotalSeconds * Stopwatch.Frequency);
        // Only streams are waited for: an exchange of another kind still in flight is closed
        // with the process as before. A few polls after the last stream ended let its connection close.
        var quiet = 0;
        while (Connections.Count > 0 && Stopwatch.GetTimestamp() < graceEnd && (Metrics.Streams.OpenTotal > 0 || ++quiet < 3))
        {
            await Task.Delay(50).ConfigureAwait(false);
        }
        return Connections.Count;
    }

    private void HeartbeatLoop()
    {
        var lastSweep = 0L;
        while (!_stopped)
        {
            Thread.Sleep(TimeSpan.FromTicks(TimeSpan.TicksPerSecond / 4));
            var now = Stopwatch.GetTimestamp();
            try
            {
                // A connection on a loop has its deadline on that loop's timer and passes here at
                // once; the others (the portable transport, TLS connections) are fired from here.
                Connections.Heartbeat(now);
                if (now - lastSweep > Stopwatch.Frequency)
                {
                    lastSweep = now;
                    foreach (var tls in _tlsListeners)
                    {
                        tls.PollFiles();
                    }
                    foreach (var endpoint in _endpoints.All.ToArray())
                    {
                        endpoint.CloseExpired(now);
                    }
                }
            }
            catch (Exception ex)
            {
                Log.Error($"heartbeat: {ex}");
            }
        }
    }

    public void Dispose()
    {
        _stopped = true;
        _healthChecker.Dispose();
        _dnsRefresher.Dispose();
        lock (_reloadLock)
        {
            foreach (var (_, listener) in _listeners.Values)
            {
                listener.Dispose();
            }
            _listeners.Clear();
            _admin?.Listener.Dispose();
        }
        _loops?.Dispose();
        AccessLog?.Dispose();
        Stages.RateLimits.Dispose();
    }
}
