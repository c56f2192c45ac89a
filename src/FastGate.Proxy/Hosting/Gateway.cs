using System.Diagnostics;
using System.Net;
using FastGate.Core.Transport;
using FastGate.Proxy.Config;
using FastGate.Proxy.Observability;
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

    private readonly object _reloadLock = new();
    private readonly EndpointRegistry _endpoints;
    private readonly Dictionary<string, (ListenerModel Model, ConnectionListener Listener)> _listeners = new(StringComparer.Ordinal);
    private readonly Thread _heartbeat;
    private GatewaySnapshot _current = null!;
    private long _generation;
    private volatile bool _draining;
    private volatile bool _stopped;

    public Gateway(GatewayLog log, IUpstreamConnector? connector = null)
    {
        Log = log;
        _endpoints = new EndpointRegistry(connector ?? SocketConnector.Default);
        _heartbeat = new Thread(HeartbeatLoop) { IsBackground = true, Name = "fastgate-heartbeat" };
    }

    public GatewaySnapshot Current => Volatile.Read(ref _current);
    public GatewayMetrics Metrics { get; } = new();
    public GatewayLog Log { get; }
    public AccessLog? AccessLog { get; private set; }
    public ConnectionRegistry Connections { get; } = new();
    public bool Draining => _draining;
    public IEnumerable<EndpointState> Endpoints => _endpoints.All;

    /// <summary>The last reload's outcome, shown at /config; null before any reload.</summary>
    public ReloadResult? LastReload { get; private set; }

    /// <summary>The bound address of each listener by name (port 0 in the config binds a free port).</summary>
    public IPEndPoint ListenerEndPoint(string name) => _listeners[name].Listener.EndPoint;

    /// <summary>Binds every listener and starts serving <paramref name="model"/>. Throws when a listener cannot bind.</summary>
    public void Start(ConfigModel model)
    {
        lock (_reloadLock)
        {
            Apply(model);
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
                catch (Exception ex) when (ex is System.Net.Sockets.SocketException or InvalidOperationException)
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
        var clusters = _endpoints.Build(model, out var nextEndpoints);
        var generation = _generation + 1;
        var snapshot = new GatewaySnapshot(model, clusters, Metrics, generation);

        // Bind new listeners first: if one fails, nothing has changed yet.
        var added = new List<(ListenerModel, ConnectionListener)>();
        try
        {
            foreach (var listener in model.Listeners)
            {
                if (_listeners.TryGetValue(listener.Name, out var existing) && existing.Model.Endpoint.Equals(listener.Endpoint) && existing.Model.Protocol == listener.Protocol)
                {
                    continue;
                }
                if (listener.Protocol != ListenerProtocol.Http)
                {
                    throw new InvalidOperationException($"listener '{listener.Name}': protocol {listener.Protocol} is not served by this version");
                }
                if (listener.Tls is not null)
                {
                    // Serving plain HTTP where the user asked for TLS would be worse than refusing.
                    throw new InvalidOperationException($"listener '{listener.Name}': TLS offload is not served by this version");
                }
                var reuse = FindByEndpoint(listener.Endpoint);
                if (reuse is not null)
                {
                    // Same address under another name: keep the socket (no refused connection), serve it by the new name.
                    added.Add((listener, reuse));
                    continue;
                }
                added.Add((listener, new ConnectionListener(listener.Endpoint, listener.Backlog, listener.MaxConnections, new HttpConnectionHandler(this, listener.Name))));
            }
        }
        catch
        {
            foreach (var (_, listener) in added)
            {
                if (!IsLive(listener))
                {
                    listener.Dispose();
                }
            }
            throw;
        }

        Volatile.Write(ref _current, snapshot);
        _generation = generation;
        _endpoints.Commit(nextEndpoints);
        AccessLog = ReplaceAccessLog(AccessLog, model.Log.Access);
        foreach (var cluster in model.Clusters.Values)
        {
            if (cluster.Health is not null)
            {
                Log.Warn($"cluster '{cluster.Name}': active health checks are not run by this version; every endpoint is treated as healthy");
            }
        }
        Log.Level = model.Log.Level;

        var keep = new HashSet<ConnectionListener>();
        foreach (var (model2, listener) in added)
        {
            keep.Add(listener);
            listener.Handler = new HttpConnectionHandler(this, model2.Name);
            var wasLive = IsLive(listener);
            _listeners[model2.Name] = (model2, listener);
            if (!wasLive)
            {
                listener.Start();
                Log.Info($"listener '{model2.Name}' on {listener.EndPoint}");
            }
        }
        foreach (var listener in model.Listeners)
        {
            if (_listeners.TryGetValue(listener.Name, out var entry))
            {
                _listeners[listener.Name] = (listener, entry.Listener);
                keep.Add(entry.Listener);
            }
        }
        foreach (var name in _listeners.Keys.ToList())
        {
            var entry = _listeners[name];
            if (!keep.Contains(entry.Listener) || model.Listeners.All(l => l.Name != name))
            {
                _listeners.Remove(name);
                if (!keep.Contains(entry.Listener))
                {
                    // Connections already accepted finish on their snapshot; no new ones arrive here.
                    entry.Listener.Stop();
                    Log.Info($"listener '{name}' closed");
                }
            }
        }
    }

    private ConnectionListener? FindByEndpoint(IPEndPoint endPoint)
    {
        foreach (var (model, listener) in _listeners.Values)
        {
            if (model.Endpoint.Equals(endPoint))
            {
                return listener;
            }
        }
        return null;
    }

    private bool IsLive(ConnectionListener listener)
    {
        foreach (var (_, live) in _listeners.Values)
        {
            if (ReferenceEquals(live, listener))
            {
                return true;
            }
        }
        return false;
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

    public void ReopenAccessLog() => AccessLog?.Reopen();

    /// <summary>
    /// Stops accepting, closes idle connections, lets in-flight exchanges finish, and returns when
    /// none is left or <paramref name="timeout"/> passes. Returns the connections still open.
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
            if (open == 0 || Stopwatch.GetTimestamp() > deadline)
            {
                return open;
            }
            await Task.Delay(50).ConfigureAwait(false);
        }
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
                Connections.Heartbeat(now);
                if (now - lastSweep > Stopwatch.Frequency)
                {
                    lastSweep = now;
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
        lock (_reloadLock)
        {
            foreach (var (_, listener) in _listeners.Values)
            {
                listener.Dispose();
            }
            _listeners.Clear();
        }
        AccessLog?.Dispose();
    }
}
