using System.Collections.Concurrent;
using System.Text;
using FastGate.Proxy.Upstreams;

namespace FastGate.Proxy.Observability;

/// <summary>
/// Process-wide counters, rendered as Prometheus text at /metrics. Recording is atomic and
/// allocation-free; rendering (admin path) may allocate.
/// </summary>
public sealed class GatewayMetrics
{
    private readonly ConcurrentDictionary<string, RouteState> _routes = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, ConsumerState> _consumers = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, ListenerState> _listeners = new(StringComparer.Ordinal);
    private long _activeConnections;
    private long _connectionsTotal;
    private long _bytesIn;
    private long _bytesOut;
    private long _reloadSuccess;
    private long _reloadFailure;
    private long _upstreamErrors;

    /// <summary>Requests answered before any route matched (bad requests, no route).</summary>
    public RouteState Unrouted { get; } = new("");

    public LatencyHistogram UpstreamLatency { get; } = new();

    /// <summary>401s from auth stages, by reason.</summary>
    public AuthRefusalCounters AuthRefusals { get; } = new();

    public RouteState Route(string name) => _routes.GetOrAdd(name, static n => new RouteState(n));

    /// <summary>The counters of a consumer an auth stage named.</summary>
    public ConsumerState Consumer(string name) => _consumers.GetOrAdd(name, static n => new ConsumerState(n));

    public ListenerState Listener(string name) => _listeners.GetOrAdd(name, static n => new ListenerState(n));

    /// <summary>The tcp and tls-passthrough listeners' connections, bytes, durations and refusals.</summary>
    public L4Metrics L4 { get; } = new();

    /// <summary>429s per route and shared-backend failures of the rate-limit stage.</summary>
    public RateLimitMetrics RateLimits { get; } = new();

    /// <summary>PROXY protocol headers accepted and refused on listeners that require one.</summary>
    public ProxyProtocolMetrics ProxyProtocol { get; } = new();
    /// <summary>TLS handshakes on the listeners that terminate TLS.</summary>
    public TlsMetrics Tls { get; } = new();
    /// <summary>WebSocket upgrades, open tunnels, frames and closes.</summary>
    public WebSocketMetrics WebSockets { get; } = new();
    /// <summary>Clients cut for slow requests or slow reading, and connections over the per-client cap.</summary>
    public SlowClientMetrics SlowClients { get; } = new();
    /// <summary>SSE and other long-lived streams: open, started, ended by reason; upstream first-byte timeouts.</summary>
    public StreamMetrics Streams { get; } = new();
    /// <summary>The downstream HTTP/2 front: open connections, streams, defenses that acted.</summary>
    public Http2Metrics Http2 { get; } = new();
    /// <summary>Series of other assemblies (the AI gateway's), rendered last.</summary>
    public MetricsSources Sources { get; } = new();

    public long ActiveConnections => Interlocked.Read(ref _activeConnections);

    public void ConnectionOpened()
    {
        Interlocked.Increment(ref _activeConnections);
        Interlocked.Increment(ref _connectionsTotal);
    }

    public void ConnectionClosed() => Interlocked.Decrement(ref _activeConnections);

    public void AddBytesIn(long count) => Interlocked.Add(ref _bytesIn, count);

    public void AddBytesOut(long count) => Interlocked.Add(ref _bytesOut, count);

    public void UpstreamError() => Interlocked.Increment(ref _upstreamErrors);

    public void Reloaded(bool success) => Interlocked.Increment(ref success ? ref _reloadSuccess : ref _reloadFailure);

    /// <param name="endpoints">The live endpoints, for the per-endpoint series.</param>
    /// <param name="clusters">The live clusters' states, for the retry, circuit and panic series; null takes those of <paramref name="endpoints"/>.</param>
    public string Render(IEnumerable<EndpointState> endpoints, IEnumerable<ClusterState>? clusters = null, AccessLog? accessLog = null)
    {
        var text = new StringBuilder(4096);
        text.Append("# HELP fastgate_requests_total Requests answered, by route and status class.\n# TYPE fastgate_requests_total counter\n");
        WriteCounts(text, "fastgate_requests_total{route=\"", Unrouted);
        foreach (var route in _routes.Values.OrderBy(r => r.Name, StringComparer.Ordinal))
        {
            WriteCounts(text, "fastgate_requests_total{route=\"", route);
        }
        text.Append("# HELP fastgate_consumer_requests_total Requests answered, by consumer and status class.\n# TYPE fastgate_consumer_requests_total counter\n");
        foreach (var consumer in _consumers.Values.OrderBy(c => c.Name, StringComparer.Ordinal))
        {
            WriteCounts(text, "fastgate_consumer_requests_total{consumer=\"", consumer);
        }
        text.Append("# HELP fastgate_upstream_response_seconds Time from sending the request head upstream to receiving the response head.\n# TYPE fastgate_upstream_response_seconds histogram\n");
        UpstreamLatency.WriteTo(text, "fastgate_upstream_response_seconds", "");
        Gauge(text, "fastgate_active_connections", "Downstream connections open now.", ActiveConnections);
        Counter(text, "fastgate_connections_total", "Downstream connections accepted.", Interlocked.Read(ref _connectionsTotal));
        Counter(text, "fastgate_bytes_received_total", "Bytes read from clients, counted when each exchange ends.", Interlocked.Read(ref _bytesIn));
        Counter(text, "fastgate_bytes_sent_total", "Bytes written to clients, counted when each exchange ends.", Interlocked.Read(ref _bytesOut));
        text.Append("# HELP fastgate_listener_connections_capped_total Times a listener reached max_connections and stopped accepting until a connection closed (new clients wait in the accept queue).\n# TYPE fastgate_listener_connections_capped_total counter\n");
        foreach (var listener in _listeners.Values.OrderBy(l => l.Name, StringComparer.Ordinal))
        {
            text.Append("fastgate_listener_connections_capped_total{listener=\"").Append(Escape(listener.Name)).Append("\"} ").Append(listener.CapacityPauses).Append('\n');
        }
        AuthRefusals.WriteTo(text);
        Counter(text, "fastgate_upstream_errors_total", "Upstream connect failures, resets and timeouts.", Interlocked.Read(ref _upstreamErrors));
        text.Append("# HELP fastgate_reloads_total Config reloads, by result.\n# TYPE fastgate_reloads_total counter\n");
        text.Append("fastgate_reloads_total{result=\"success\"} ").Append(Interlocked.Read(ref _reloadSuccess)).Append('\n');
        text.Append("fastgate_reloads_total{result=\"failure\"} ").Append(Interlocked.Read(ref _reloadFailure)).Append('\n');
        RateLimits.WriteTo(text);
        ProxyProtocol.WriteTo(text);
        Tls.WriteTo(text);
        WebSockets.WriteTo(text);
        SlowClients.WriteTo(text);
        Http2.WriteTo(text);
        Counter(text, "fastgate_access_log_dropped_total", "Access-log lines dropped because the writer fell behind.", accessLog?.Dropped ?? 0);
        Counter(text, "fastgate_allocated_bytes_total", "Bytes allocated on the managed heap since start.", GC.GetTotalAllocatedBytes(precise: true));
        Gauge(text, "fastgate_gc_heap_bytes", "Managed heap size after the last collection.", GC.GetGCMemoryInfo().HeapSizeBytes);
        Gauge(text, "fastgate_resident_memory_bytes", "Resident set size.", Environment.WorkingSet);
        text.Append("# HELP fastgate_upstream_connections Upstream connections by endpoint and state.\n# TYPE fastgate_upstream_connections gauge\n");
        // One series per address: clusters that share an address keep pools of their own, summed here.
        foreach (var address in endpoints.GroupBy(e => e.Address, StringComparer.Ordinal))
        {
            text.Append("fastgate_upstream_connections{endpoint=\"").Append(Escape(address.Key)).Append("\",state=\"open\"} ").Append(address.Sum(e => e.OpenConnections)).Append('\n');
            text.Append("fastgate_upstream_connections{endpoint=\"").Append(Escape(address.Key)).Append("\",state=\"idle\"} ").Append(address.Sum(e => e.IdleConnections)).Append('\n');
        }
        var clusterStates = (clusters ?? endpoints.Select(e => e.Cluster).Distinct()).ToList();
        UpstreamHealthMetrics.WriteTo(text, endpoints, clusterStates);
        UpstreamTlsMetrics.WriteTo(text, clusterStates);
        L4.WriteTo(text);
        Streams.WriteTo(text);
        Http2UpstreamMetrics.Shared.WriteTo(text);
        Sources.WriteTo(text);
        return text.ToString();
    }

    /// <param name="opening">The metric name and its first label up to the opening quote of the name.</param>
    private static void WriteCounts(StringBuilder text, string opening, RequestCounts counts)
    {
        for (var statusClass = 1; statusClass <= 5; statusClass++)
        {
            var count = counts.Requests(statusClass);
            if (count == 0)
            {
                continue;
            }
            text.Append(opening).Append(Escape(counts.Name)).Append("\",code=\"").Append(statusClass).Append("xx\"} ").Append(count).Append('\n');
        }
    }

    private static void Counter(StringBuilder text, string name, string help, long value)
        => text.Append("# HELP ").Append(name).Append(' ').Append(help).Append("\n# TYPE ").Append(name).Append(" counter\n").Append(name).Append(' ').Append(value).Append('\n');

    private static void Gauge(StringBuilder text, string name, string help, long value)
        => text.Append("# HELP ").Append(name).Append(' ').Append(help).Append("\n# TYPE ").Append(name).Append(" gauge\n").Append(name).Append(' ').Append(value).Append('\n');

    internal static string Escape(string value) => value.Replace("\\", "\\\\").Replace("\"", "\\\"").Replace("\n", "\\n");
}
