using System.Threading.Tasks.Sources;
using FastGate.Proxy.Forwarding.Http2;

namespace FastGate.Proxy.Forwarding;

// The exchange worker of one HTTP/2 stream (Forwarding/Http2): it takes the request head the stream
// hands over already parsed, reads the body from its bridge and writes the response there, as for a client
// connection of its own, so every route feature works on HTTP/2. It is not one, though: the
// HTTP/2 connection is what the registry, the connection counts and the listener see, and its
// heartbeat fires this worker's deadlines. The worker is pooled with its stream: when its
// exchange closed it waits in RunAsync (as a loop's pooled worker does) for the stream's next
// life, so a stream costs no worker, state machine or client object of its own.
public sealed partial class Http1ProxyConnection
{
    // Serves one stream of an HTTP/2 connection: no registration, no connection count, no lease.
    private bool _http2Stream;
    // The stream this worker belongs to for life, told when an exchange is done with it.
    private Http2Stream? _http2Owner;
    private bool _http2Running;

    /// <summary>The worker of <paramref name="stream"/>, for all the lives of that stream object.</summary>
    internal static Http1ProxyConnection ForHttp2Stream(Http2Stream stream) => new() { _http2Stream = true, _http2Owner = stream };

    /// <summary>Runs the stream's one exchange (the request says Connection: close) over <paramref name="client"/>, the stream's bridge.</summary>
    internal void StartHttp2Stream(Http1ClientConnection client)
    {
        Attach(client, fresh: true);
        if (!_http2Running)
        {
            _http2Running = true;
            _ = RunAsync();
            return;
        }
        if (_loop is not null && _bound.GetStatus(_bound.Version) == ValueTaskSourceStatus.Pending)
        {
            // On the loop (this start was posted there) RunAsync is parked in WaitForClientAsync:
            // the exchange is driven from here as a woken HTTP/1.1 connection's is (Drive), so a
            // small request costs no resume of the worker's state machine, neither to start nor
            // for its response (the worker parks on the upstream socket and is driven again when
            // it is readable). Whatever must wait otherwise is handed to RunAsync.
            DriveHttp2StreamExchange();
            return;
        }
        // Resumes the loop waiting in WaitForClientAsync (its wait was armed before the stream was let go).
        _bound.SetResult(true);
    }

    private void DriveHttp2StreamExchange()
    {
        IoOperation next;
        try
        {
            next = BeginHttp2StreamExchange();
        }
        catch (Exception ex)
        {
            // As RunAsync would: a failure the client caused ends the exchange quietly, any other is logged.
            if (!IsConnectionFault(ex))
            {
                LogFailure(ex);
            }
            next = IoOperation.Close;
        }
        Drive(next);
    }

    /// <summary>
    /// The first step of the stream's exchange: with the request head handed over parsed
    /// (Http2Stream.RequestHead.cs) the exchange starts at once, as the HTTP/1.1 front starts one
    /// whose head it found and copied; without one (an extended CONNECT) the head is read from the bridge.
    /// </summary>
    private IoOperation BeginHttp2StreamExchange()
    {
        var next = BeginNextRequest();
        var stream = _http2Owner!;
        if (next != IoOperation.ReadClient || !stream.HasRequestHead)
        {
            return next;
        }
        TakeExchange();
        var error = stream.HandRequestHead(_request, ref _current!.RequestHeadArray, _limits);
        _betweenExchanges = false;
        Disarm();
        BeginExchange();
        return StartParsedExchange(error);
    }

    /// <summary>
    /// The exchange closed: the wait for the next one is armed first, then the stream is let go
    /// (which may give it to the read loop for a new stream and bind this worker again at once).
    /// </summary>
    private bool DetachFromHttp2Stream()
    {
        // RunAsync's wait is still armed when nothing completed it since (a driven exchange, or
        // the first one): resetting it then would drop the continuation RunAsync parked there.
        if (_bound.GetStatus(_bound.Version) != ValueTaskSourceStatus.Pending)
        {
            _bound.Reset();
        }
        _http2Owner!.OnWorkerDone();
        return true;
    }

    /// <summary>Drain timed out: a long-lived response (SSE) on this stream ends as on a connection of its own.</summary>
    internal void EndStreamsOfHttp2Stream() => Volatile.Read(ref _client)?.EndStreams();

    /// <summary>The HTTP/2 connection's heartbeat fires this stream's deadlines; a worker already done has none.</summary>
    internal void OnHeartbeatOfHttp2Stream(long now) => Volatile.Read(ref _client)?.OnHeartbeat(now);
}
