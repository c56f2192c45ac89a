namespace FastGate.Proxy.Config;

/// <summary>
/// The whole validated configuration. Every member is immutable: a reload builds a new one
/// and swaps it in; nothing is ever changed in place.
/// </summary>
public sealed record ConfigModel
{
    public required string SourcePath { get; init; }
    /// <summary>Event loops (top-level <c>workers</c>); 0 means one per core the process may run on.</summary>
    public int Workers { get; init; }
    /// <summary>Top-level <c>transport</c>: the own epoll loops (Linux) or the portable socket engine.</summary>
    public TransportKind Transport { get; init; } = TransportKind.Epoll;
    /// <summary>Top-level <c>busy_poll</c>: how long an epoll loop polls without sleeping after a turn with events; zero is off.</summary>
    public TimeSpan BusyPoll { get; init; }
    public AdminModel Admin { get; init; } = new();
    public LogModel Log { get; init; } = new();
    public LimitsModel Defaults { get; init; } = new();
    public RateLimitModel RateLimit { get; init; } = new();
    public required IReadOnlyList<ListenerModel> Listeners { get; init; }
    public required IReadOnlyList<RouteModel> Routes { get; init; }
    public required IReadOnlyDictionary<string, ClusterModel> Clusters { get; init; }
    /// <summary>The <c>[consumer.NAME]</c> tables by name.</summary>
    public IReadOnlyDictionary<string, ConsumerModel> Consumers { get; init; } = new Dictionary<string, ConsumerModel>();
    /// <summary>The same consumers, indexed by credential for the auth stages.</summary>
    public ConsumerIndex ConsumerIndex { get; init; } = ConsumerIndex.Empty;
    /// <summary>
    /// True when some <c>[consumer.NAME.limits]</c> sets <c>requests_per_minute</c>: every route then
    /// checks the caller's limit, whether or not it has limits of its own.
    /// </summary>
    public bool ConsumerLimits { get; init; }
    /// <summary>The file's text with secrets replaced by "[redacted]", served at /config.</summary>
    public string RedactedText { get; init; } = "";
    /// <summary>The <c>[provider.NAME]</c> tables, by name.</summary>
    public IReadOnlyDictionary<string, ProviderModel> Providers { get; init; } = new Dictionary<string, ProviderModel>();
    /// <summary>The <c>[[model]]</c> tables, in file order (the first match wins).</summary>
    public IReadOnlyList<ModelMapModel> Models { get; init; } = [];
    /// <summary>The <c>[ai]</c> table.</summary>
    public AiModel Ai { get; init; } = new();
    /// <summary>The <c>[http2]</c> table: the downstream HTTP/2 front's settings and limits.</summary>
    public Http2Model Http2 { get; init; } = new();
}
