namespace FastGate.Proxy.Observability;

/// <summary>Why a stream ended, the <c>reason</c> label of fastgate_stream_ends_total.</summary>
public enum StreamEndReason : byte
{
    /// <summary>Not decided yet (an exchange in progress).</summary>
    None,
    /// <summary>The upstream ended it cleanly.</summary>
    Complete,
    /// <summary>The client closed, reset, or stopped reading.</summary>
    ClientGone,
    /// <summary>The upstream closed or reset it mid-stream.</summary>
    UpstreamGone,
    /// <summary>Nothing moved for stream_idle_timeout.</summary>
    IdleTimeout,
    /// <summary>It lasted max_stream_duration.</summary>
    MaxDuration,
    /// <summary>The drain timeout of a shutdown passed.</summary>
    Drain,
}
