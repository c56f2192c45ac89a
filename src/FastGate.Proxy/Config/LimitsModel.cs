using System.Net;
using FastGate.Core.Http;

namespace FastGate.Proxy.Config;

/// <summary>HTTP limits and timeouts after validation; a listener or route may override the defaults.</summary>
public sealed record LimitsModel
{
    public int MaxHeaderBytes { get; init; } = 32 * 1024;
    public int MaxHeaders { get; init; } = 100;
    public TimeSpan HeaderTimeout { get; init; } = TimeSpan.FromSeconds(10);
    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromSeconds(60);
    public long MaxBodyBytes { get; init; } = 16L * 1024 * 1024;
    public TimeSpan DrainTimeout { get; init; } = TimeSpan.FromSeconds(30);
    /// <summary>Longest request line (method, target, version) accepted; our extension to the contract.</summary>
    public int MaxRequestLineBytes { get; init; } = 8 * 1024;
    /// <summary>Path normalization: collapse runs of '/' before routing (Envoy's merge_slashes); off by default.</summary>
    public bool MergeSlashes { get; init; }
    /// <summary>Path normalization: what to do with %2F, %5C and '\' in a path; kept by default, as Envoy does.</summary>
    public EscapedSlashAction EscapedSlashes { get; init; } = EscapedSlashAction.Keep;
    /// <summary>
    /// Clients whose X-Forwarded-For is kept and appended to; any other client's is replaced by its
    /// own address. Empty by default: nobody is trusted.
    /// </summary>
    public IReadOnlyList<IPNetwork> TrustedProxies { get; init; } = [];

    /// <summary>Slowest request body a client may send, bytes per second over <see cref="MinRateWindow"/>; 0 = no minimum.</summary>
    public long MinRequestBodyRate { get; init; } = 240;
    /// <summary>Slowest a client may take response bytes the proxy waits to send, bytes per second over <see cref="MinRateWindow"/>; 0 = no minimum.</summary>
    public long MinResponseRate { get; init; } = 240;
    /// <summary>The window a rate is judged over, and the grace before the first judgement (Kestrel's MinDataRate grace).</summary>
    public TimeSpan MinRateWindow { get; init; } = TimeSpan.FromSeconds(5);
    /// <summary>Open connections one client address may have on a listener; 0 = no cap.</summary>
    public int MaxConnectionsPerClient { get; init; }
}
