namespace FastGate.Proxy.Config;

/// <summary>A validated <c>[[route]]</c>. <see cref="Order"/> is its position in the file.</summary>
public sealed record RouteModel
{
    public required string Name { get; init; }
    public int Order { get; init; }
    /// <summary>Listener names; empty means every http listener.</summary>
    public IReadOnlyList<string> Listeners { get; init; } = [];
    /// <summary>Lower-case host names; an entry starting with "*." is a suffix wildcard. Empty means any host.</summary>
    public IReadOnlyList<string> Hosts { get; init; } = [];
    public PathMatchKind PathKind { get; init; } = PathMatchKind.Any;
    /// <summary>The exact path, the prefix or the regex pattern, per <see cref="PathKind"/>.</summary>
    public string Path { get; init; } = "";
    /// <summary>Upper-case method names; empty means any method.</summary>
    public IReadOnlyList<string> Methods { get; init; } = [];
    /// <summary>Exact header matches; names lower-case.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Headers { get; init; } = [];
    public required string Cluster { get; init; }
    public string? StripPrefix { get; init; }
    /// <summary>Time allowed for the whole upstream response head.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(60);
    /// <summary><c>streaming</c>: every response of the route is a stream, whatever its content type.</summary>
    public bool Streaming { get; init; }
    /// <summary><c>stream_idle_timeout</c>: the longest gap between two pieces of a stream; null takes the listener's idle_timeout.</summary>
    public TimeSpan? StreamIdleTimeout { get; init; }
    /// <summary><c>max_stream_duration</c>: a stream ends after this long; null leaves it unlimited.</summary>
    public TimeSpan? MaxStreamDuration { get; init; }
    /// <summary><c>first_byte_timeout</c>: from the request sent upstream to the response's first byte; null leaves only <see cref="Timeout"/>.</summary>
    public TimeSpan? FirstByteTimeout { get; init; }
    /// <summary>The route's <c>rate_limit</c> tables, in file order; empty when it has none.</summary>
    public IReadOnlyList<RouteRateLimitModel> RateLimits { get; init; } = [];
    /// <summary>The route's <c>concurrency_limit</c> tables; empty when it has none.</summary>
    public IReadOnlyList<RouteConcurrencyLimitModel> ConcurrencyLimits { get; init; } = [];
    public long MaxBodyBytes { get; init; } = 16L * 1024 * 1024;
    /// <summary>Who may call the route (<c>auth</c> and the keys that go with it); null lets anyone in.</summary>
    public RouteAuthModel? Auth { get; init; }
    /// <summary>Header edits, rewrites, local answers, address rules, CORS, request id; null when none.</summary>
    public RouteTransformsModel? Transforms { get; init; }
    /// <summary>The <c>[route.websocket]</c> settings (upgrades on, 16 MiB limits, UTF-8 checked by default).</summary>
    public WebSocketRouteModel WebSocket { get; init; } = WebSocketRouteModel.Default;
    /// <summary><c>ai = true</c>: the route serves the AI fronts; <c>[[model]]</c> picks the provider (and its cluster) per request.</summary>
    public bool Ai { get; init; }
}
