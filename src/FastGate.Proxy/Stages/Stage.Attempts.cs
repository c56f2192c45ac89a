using FastGate.Proxy.Forwarding;

namespace FastGate.Proxy.Stages;

/// <summary>
/// The hooks of a stage that steers attempts and reads a response to its end: a failed try
/// before any response, the end of a response body (cut or whole), and reading on after the
/// client left. An AI gateway needs all three (fallback to the next provider, an error event
/// that tells an SDK its stream failed, usage counted for a stream nobody reads any more).
/// </summary>
public abstract partial class Stage
{
    /// <summary>
    /// <see cref="StagePhases.UpstreamFailed"/>: the try failed before any response
    /// (<paramref name="status"/> is what the client would get: 502 refused or reset, 503 no
    /// endpoint, 504 timeout) and the cluster's retry policy declined it. Return
    /// <see cref="StageOutcome.Retry"/> to send the request again to the cluster the exchange names
    /// now (a stage may change <see cref="Exchange.Cluster"/>), <see cref="StageOutcome.Answered"/>
    /// with a local answer, or Continue to let the client have <paramref name="status"/>. Default:
    /// Continue.
    /// </summary>
    public virtual StageOutcome OnUpstreamFailed(Exchange exchange, int status) => StageOutcome.Continue;

    /// <summary>
    /// True for a response-body or response-event stage that wants
    /// <see cref="OnResponseEnd"/> when the upstream's body ends. Default: false.
    /// </summary>
    public virtual bool ObservesResponseEnd => false;

    /// <summary>
    /// The upstream's body ended: whole (<paramref name="complete"/>) or cut (a reset, a close
    /// before its end, bad framing). Bytes written to <see cref="Exchange.Replacement"/> with
    /// <see cref="BodyVerdict.Replace"/> reach the client before its response ends (an error event
    /// on a stream that was cut: it is flushed, then the connection closes without the body's
    /// end, so the client reads the event and still sees a broken response).
    /// Runs for stages with <see cref="ObservesResponseEnd"/>, on the stage path only, never
    /// after the client left. Default: Continue.
    /// </summary>
    public virtual BodyVerdict OnResponseEnd(Exchange exchange, bool complete) => BodyVerdict.Continue;

    /// <summary>
    /// True for a stage that wants a response read to its end through the body and event stages
    /// even after the client left (the output is discarded), for example to count a stream's
    /// usage; <see cref="TryBeginDrain"/> bounds it. Default: false (the upstream is closed).
    /// </summary>
    public virtual bool ReadsToEndAfterClientLeft => false;

    /// <summary>
    /// The client left mid-response: true to read on for at most <paramref name="timeout"/>
    /// (a stage counts its drains and refuses past its limit). <see cref="EndDrain"/> follows a
    /// true, before completion runs with status 499.
    /// </summary>
    public virtual bool TryBeginDrain(Exchange exchange, out TimeSpan timeout)
    {
        timeout = default;
        return false;
    }

    /// <summary>A drain <see cref="TryBeginDrain"/> started has ended (the body's end, its timeout, or a failure).</summary>
    public virtual void EndDrain(Exchange exchange)
    {
    }
}
