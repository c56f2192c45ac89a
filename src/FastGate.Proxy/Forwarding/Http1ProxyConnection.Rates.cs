using System.Diagnostics;
using System.IO.Pipelines;
using FastGate.Core.Http1;
using FastGate.Core.Transport;
using FastGate.Core.Transport.Epoll;
using FastGate.Proxy.Observability;

namespace FastGate.Proxy.Forwarding;

/// <summary>
/// Slow-client protection of the exchange (min_request_body_rate, min_response_rate over
/// min_rate_window): a client that trickles its body, or reads the response at a trickle, holds a
/// connection, an exchange and buffers for as long as it likes unless it is held to a rate.
/// Only time the proxy spends waiting on the client counts: a body read is paused while the
/// upstream takes it (back-pressure is not the client's fault), and a response is judged only
/// while a flush to the client is pending, never while the proxy waits on the upstream (an event
/// stream that is quiet for a minute is not a slow client).
/// <para>
/// Request body: each read arms the body deadline at the moment the client would be too slow if
/// nothing more came (<see cref="DataRateMonitor.SlowAt"/>), so a fire is always a verdict and
/// the deadline machinery ends the exchange as for an idle body: 408, or a close once a response
/// has started. Response: the deadline is a check point at the end of each window of pending
/// flush; if the transport's sent count moved enough the flush simply goes on.
/// </para>
/// </summary>
public sealed partial class Http1ProxyConnection
{
    private DataRateMonitor _requestBodyRate;
    private DataRateMonitor _responseRate;
    // The body deadline armed now is the rate's (it comes before idle_timeout).
    private bool _requestRateArmed;
    // The pump found the body too slow: it asks for the loop's attention like a failed body.
    private bool _requestBodyTooSlow;
    // The transport's sent count when a judged flush to the client was last looked at.
    private long _sentMark;
    // When the judged flush has been pending for idle_timeout: the rate only ever cuts sooner.
    private long _flushIdleAt;

    /// <summary>Starts judging the request body's rate (streamed or read whole) and arms its first deadline.</summary>
    private void BeginRequestBodyRate()
    {
        _requestBodyTooSlow = false;
        _requestBodyRate.Start(_limits.MinRequestBodyRate, _limits.MinRateWindow);
        _requestBodyRate.Resume(LoopClock.Now);
        ArmRequestBodyRead();
    }

    /// <summary>The deadline of a read of the request body from the client: idle_timeout, or sooner when the rate would fail first.</summary>
    private void ArmRequestBodyRead()
    {
        var idle = (long)(_limits.IdleTimeout.TotalSeconds * Stopwatch.Frequency);
        if (!_requestBodyRate.Enabled)
        {
            _requestRateArmed = false;
            Arm(TimeoutKind.BodyIdle, idle);
            return;
        }
        var now = LoopClock.Now;
        _requestBodyRate.Resume(now);
        var slowIn = _requestBodyRate.SlowAt(now) - now;
        _requestRateArmed = slowIn <= idle;
        Arm(TimeoutKind.BodyIdle, _requestRateArmed ? slowIn : idle);
    }

    /// <summary>
    /// <paramref name="bytes"/> of the body came from the client and more is due: false when the
    /// client is below the minimum rate (counted; the caller ends the exchange as for an idle body).
    /// </summary>
    private bool RequestBodyKeepsRate(long bytes)
    {
        if (!_requestBodyRate.Enabled)
        {
            return true;
        }
        _requestBodyRate.Add(bytes);
        if (_requestBodyRate.Check(LoopClock.Now))
        {
            return true;
        }
        _requestBodyRate.Stop();
        _gateway.Metrics.SlowClients.SlowClient(_listenerName, SlowClientReason.RequestBodyRate);
        return false;
    }

    /// <summary>The streamed body's pump waits on the upstream now: that time is not the client's.</summary>
    private void PauseRequestBodyRate()
    {
        if (!_requestBodyRate.Enabled)
        {
            return;
        }
        _requestBodyRate.Pause(LoopClock.Now);
        if (_requestRateArmed)
        {
            // The rate's deadline would fire while the upstream, not the client, holds the body up.
            _requestRateArmed = false;
            Arm(TimeoutKind.BodyIdle, _limits.IdleTimeout);
        }
    }

    /// <summary>The pump read the body too slowly: the loop must answer (see the pump's end).</summary>
    private RequestBodyOutcome RequestBodyTooSlow()
    {
        _requestBodyTooSlow = true;
        return RequestBodyOutcome.ClientIdle;
    }

    /// <summary>
    /// A body deadline fired while reading from the client: counted when it was the rate's, which
    /// is armed where the client is too slow if nothing more comes, so its fire is the verdict.
    /// </summary>
    private void OnRequestBodyDeadline()
    {
        if (_requestRateArmed && _requestBodyRate.Enabled)
        {
            _requestBodyRate.Stop();
            _gateway.Metrics.SlowClients.SlowClient(_listenerName, SlowClientReason.RequestBodyRate);
        }
    }

    /// <summary>A request head took longer than header_timeout: counted with the slow clients.</summary>
    private void OnRequestHeadTimeout() => _gateway.Metrics.SlowClients.SlowClient(_listenerName, SlowClientReason.RequestHead);

    /// <summary>
    /// A flush to the client did not complete at once: judge the client's reading from now on,
    /// when the listener asks for a response rate and the transport counts what it sends. Not
    /// while the request body's pump runs: a check point fires the connection's one deadline,
    /// and the pump takes any fire as the end of its body.
    /// </summary>
    private bool WatchClientFlush()
    {
        if (_limits.MinResponseRate <= 0 || _pumpRunning || _transport is not ISendProgress progress)
        {
            return false;
        }
        var now = LoopClock.Now;
        if (!_responseRate.Enabled)
        {
            _responseRate.Start(_limits.MinResponseRate, _limits.MinRateWindow);
        }
        _responseRate.Resume(now);
        _sentMark = progress.BytesDelivered;
        _flushIdleAt = now + (long)(_limits.IdleTimeout.TotalSeconds * Stopwatch.Frequency);
        ArmFlushCheck(now);
        return true;
    }

    /// <summary>The next check point of a judged flush: the end of the window, or idle_timeout if that comes first.</summary>
    private void ArmFlushCheck(long now)
    {
        var at = Math.Min(_responseRate.WindowEndsAt(now), _flushIdleAt);
        _deadline.Arm(TimeoutKind.Send, at);
        if (_loop is not null)
        {
            _client.ScheduleTimer(at);
        }
    }

    /// <summary>
    /// The watched flush ended (<paramref name="flush"/>). True when it was our check point and
    /// the client kept the rate: the flush is started again as <paramref name="flushing"/>. False
    /// otherwise, for the state machine to take as usual: done, or cancelled by a fired deadline
    /// (a slow client, counted here, is closed that way).
    /// </summary>
    private bool ClientFlushGoesOn(in FlushResult flush, ref ValueTask<FlushResult> flushing)
    {
        var now = LoopClock.Now;
        var sent = ((ISendProgress)_transport).BytesDelivered;
        if (sent > _sentMark)
        {
            _responseRate.Add(sent - _sentMark);
            _sentMark = sent;
        }
        // A fire at idle_timeout is the plain send timeout, as without a rate: not judged, not counted.
        if (flush.IsCanceled && !flush.IsCompleted && _deadline.Fired == TimeoutKind.Send && now < _flushIdleAt)
        {
            if (_responseRate.Check(now))
            {
                ArmFlushCheck(now);
                flushing = _output.FlushAsync();
                return true;
            }
            _gateway.Metrics.SlowClients.SlowClient(_listenerName, SlowClientReason.ResponseRate);
            _responseRate.Stop();
        }
        _responseRate.Pause(now);
        return false;
    }

    /// <summary>The connection's place in its address's count (max_connections_per_client), for a worker of its own.</summary>
    internal Hosting.ClientConnectionCounts.ClientLease? Lease
    {
        init => _client.Lease = value;
    }

    /// <summary>A new connection (or a parked one woken) starts with no response judged.</summary>
    private void ResetRates()
    {
        _responseRate.Stop();
        _requestBodyRate.Stop();
    }
}
