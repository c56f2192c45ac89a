namespace FastGate.Proxy.Config;

/// <summary>A validated <c>[cluster.NAME.retry]</c>.</summary>
public sealed record RetryModel
{
    /// <summary>Tries in all, the first included: 1 means no retry.</summary>
    public int Attempts { get; init; } = 2;
    public RetryConditions On { get; init; } = RetryConditions.ConnectFailure | RetryConditions.Reset;
    /// <summary>Response statuses that are tried again (e.g. 502, 503, 504).</summary>
    public IReadOnlyList<int> Statuses { get; init; } = [];
    /// <summary>Retries in flight are at most this share of the cluster's active requests...</summary>
    public int BudgetPercent { get; init; } = 20;
    /// <summary>...or this many, whichever is more, so a quiet cluster can still retry.</summary>
    public int BudgetMinimum { get; init; } = 3;
    /// <summary>Each try's limit for the response head; null leaves only the route's timeout.</summary>
    public TimeSpan? PerTryTimeout { get; init; }
    /// <summary>
    /// Methods that are retried when their request body is whole in hand, besides the idempotent
    /// ones (GET, HEAD, OPTIONS, TRACE, PUT, DELETE), e.g. "POST". Upper case.
    /// </summary>
    public IReadOnlyList<string> Methods { get; init; } = [];
}
