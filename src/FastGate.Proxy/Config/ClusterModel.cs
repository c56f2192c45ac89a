namespace FastGate.Proxy.Config;

/// <summary>A validated <c>[cluster.NAME]</c>.</summary>
public sealed record ClusterModel
{
    public required string Name { get; init; }
    public required IReadOnlyList<EndpointModel> Endpoints { get; init; }
    /// <summary>Peak EWMA by default: on the harness it is no slower than round robin, and it steers away from a slow endpoint.</summary>
    public LoadBalancingAlgorithm LoadBalancing { get; init; } = LoadBalancingAlgorithm.PeakEwma;
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(2);
    /// <summary>Idle upstream connections kept per endpoint.</summary>
    public int MaxIdleConnections { get; init; } = 64;
    /// <summary>An idle upstream connection is closed after this long.</summary>
    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromSeconds(60);
    /// <summary>Active checks; null when the cluster has none.</summary>
    public HealthCheckModel? Health { get; init; }
    public OutlierModel Outlier { get; init; } = new();
    public RetryModel Retry { get; init; } = new();
    public CircuitModel Circuit { get; init; } = new();
    /// <summary>Below this share of available endpoints, traffic goes to all of them (panic mode); 0 turns panic off.</summary>
    public int PanicThresholdPercent { get; init; } = 50;
    /// <summary>An endpoint that comes back takes a growing share of traffic over this window; zero sends it its full share at once.</summary>
    public TimeSpan SlowStart { get; init; }
    /// <summary>How often endpoints given by host name are resolved again.</summary>
    public TimeSpan DnsRefresh { get; init; } = TimeSpan.FromSeconds(30);
    /// <summary>TLS to the endpoints; null speaks plain text.</summary>
    public UpstreamTlsModel? Tls { get; init; }
    /// <summary>HTTP/1.1 (the default), or HTTP/2 over TLS or plain TCP (<c>protocol</c>).</summary>
    public UpstreamProtocol Protocol { get; init; } = UpstreamProtocol.Http1;
    /// <summary>Streams at once on one HTTP/2 connection, further capped by the endpoint's SETTINGS_MAX_CONCURRENT_STREAMS.</summary>
    public int MaxStreamsPerConnection { get; init; } = 100;
    /// <summary>The PROXY protocol header written first on every upstream connection of an L4 listener; null sends none.</summary>
    public FastGate.Core.ProxyProtocol.ProxyVersion? ProxyProtocol { get; init; }
}
