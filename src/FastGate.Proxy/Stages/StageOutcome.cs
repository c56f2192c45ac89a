namespace FastGate.Proxy.Stages;

/// <summary>What a head phase decided.</summary>
public enum StageOutcome : byte
{
    /// <summary>Go on with the next stage, then the exchange.</summary>
    Continue,
    /// <summary>The stage set a local answer (<see cref="Forwarding.Exchange.Answer(int)"/>); no later stage runs and nothing goes upstream.</summary>
    Answered,
    /// <summary>
    /// Response head only: drop this upstream response and send the request again, to the cluster
    /// the exchange names now (a stage may have changed it). Honoured only while nothing reached
    /// the client and the request can be sent again (no body, or a body still in hand); otherwise
    /// the response is forwarded as it is.
    /// </summary>
    Retry,
}
