namespace FastGate.Ai.Metering;

/// <summary>What <c>GET /usage?group_by=</c> may group records by.</summary>
public enum UsageGroupField : byte
{
    Consumer,
    Model,
    Provider,
    Route,
    /// <summary>The UTC date the exchange ended, <c>yyyy-MM-dd</c>.</summary>
    Day,
}
