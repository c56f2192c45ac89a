namespace FastGate.Proxy.Config;

/// <summary>
/// A validated <c>[cluster.NAME.outlier]</c>: passive health. An endpoint that fails in a row is
/// ejected for a back-off that grows with each ejection. On for connect failures by default.
/// </summary>
public sealed record OutlierModel
{
    /// <summary>Consecutive 5xx responses that eject an endpoint; 0 turns this off (the default).</summary>
    public int Consecutive5xx { get; init; }
    /// <summary>Consecutive connect failures, resets and timeouts that eject an endpoint; 0 turns this off.</summary>
    public int ConsecutiveFailures { get; init; } = 3;
    /// <summary>The first ejection's length; each further ejection in a row doubles it.</summary>
    public TimeSpan BaseEjectionTime { get; init; } = TimeSpan.FromSeconds(10);
    public TimeSpan MaxEjectionTime { get; init; } = TimeSpan.FromSeconds(300);
    /// <summary>At most this share of the cluster is ejected at once (at least one endpoint may be).</summary>
    public int MaxEjectionPercent { get; init; } = 50;
}
