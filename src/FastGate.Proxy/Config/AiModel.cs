namespace FastGate.Proxy.Config;

/// <summary>The top-level <c>[ai]</c> table: settings shared by every AI route.</summary>
public sealed record AiModel
{
    /// <summary><c>ledger</c>: the append-only usage ledger file.</summary>
    public string LedgerPath { get; init; } = "/var/lib/fastgate/usage.ledger";
    /// <summary><c>ledger_fsync_interval</c>: records are flushed and fsynced at least this often.</summary>
    public TimeSpan LedgerFsyncInterval { get; init; } = TimeSpan.FromMilliseconds(200);
    /// <summary><c>max_request_bytes</c>: the largest AI request body read (413 above).</summary>
    public long MaxRequestBytes { get; init; } = 4L * 1024 * 1024;
    /// <summary><c>request_deadline</c>: all attempts of one request, fallbacks included, must have a response head by then.</summary>
    public TimeSpan RequestDeadline { get; init; } = TimeSpan.FromSeconds(300);
    /// <summary><c>drain_timeout</c>: how long a stream whose client left is still read for its usage.</summary>
    public TimeSpan DrainTimeout { get; init; } = TimeSpan.FromSeconds(60);
    /// <summary><c>max_drains</c>: streams read on for usage at once; beyond, the upstream is closed and the usage estimated.</summary>
    public int MaxDrains { get; init; } = 256;
}
