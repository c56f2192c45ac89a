namespace FastGate.Proxy.Config;

/// <summary>What makes a try fail over to another endpoint (<c>on</c> in [cluster.NAME.retry]).</summary>
[Flags]
public enum RetryConditions
{
    None = 0,
    /// <summary>"connect-failure": refused, unreachable, unresolvable or timed out while connecting.</summary>
    ConnectFailure = 1,
    /// <summary>"reset": the connection failed or closed before any byte of the response head.</summary>
    Reset = 2,
    /// <summary>"timeout": the try's timeout passed before the response head.</summary>
    Timeout = 4,
    /// <summary>A status listed in <see cref="RetryModel.Statuses"/> (written as "502", "503", ...).</summary>
    Status = 8,
}
