namespace FastGate.Proxy.Stages;

/// <summary>The phases of an exchange a stage takes part in; a chain calls a stage only in these.</summary>
[Flags]
public enum StagePhases : byte
{
    None = 0,
    /// <summary>The request head is parsed and routed; may be asynchronous, may answer locally or rewrite the upstream request.</summary>
    RequestHead = 1,
    /// <summary>The whole request body, buffered up to <see cref="Stage.RequestBodyLimit"/>; may replace it.</summary>
    RequestBody = 2,
    /// <summary>An endpoint was picked for this attempt; may re-choose the cluster or answer locally.</summary>
    UpstreamChosen = 4,
    /// <summary>The upstream's final response head arrived; may edit the client's headers, answer locally, or retry elsewhere.</summary>
    ResponseHead = 8,
    /// <summary>Response body bytes as they pass, decoded of their framing; synchronous, returns a verdict.</summary>
    ResponseBody = 16,
    /// <summary>Runs exactly once when the exchange ends, however it ends.</summary>
    Complete = 32,
    /// <summary>
    /// A <c>text/event-stream</c> response, one whole Server-Sent Event at a time (after any
    /// <see cref="ResponseBody"/> stages); synchronous, returns a verdict.
    /// </summary>
    ResponseEvents = 64,
    /// <summary>
    /// A try failed before any response (connect failure, timeout, reset) and the cluster's own
    /// retry policy did not send it elsewhere; may answer or send the request again elsewhere.
    /// </summary>
    UpstreamFailed = 128,
}
