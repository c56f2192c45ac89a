using System.Buffers;
using System.Diagnostics;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using FastGate.Core.Http;
using FastGate.Core.Http1;
using FastGate.Proxy.Config;
using FastGate.Proxy.Hosting;
using FastGate.Proxy.Observability;
using FastGate.Proxy.Upstreams;

namespace FastGate.Proxy.Forwarding;

public sealed partial class Http1ProxyConnection
{
    // Per-exchange state, reset at the start of each exchange.
    private long _exchangeStart;
    private int _status;
    private long _bytesIn;
    private long _bytesOut;
    private long _upstreamTicks;
    private RouteRuntime? _route;
    private EndpointState? _endpoint;
    private byte[]? _responseHeadBuffer;
    private TimeSpan _bodyIdle;

    /// <summary>Serves one parsed-head request to the end. Returns whether the connection stays open.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<bool> ProcessExchangeAsync(GatewaySnapshot snapshot, LimitsModel limits)
    {
        _exchangeStart = Stopwatch.GetTimestamp();
        _status = 0;
        _bytesIn = _request.Length;
        _bytesOut = 0;
        _upstreamTicks = 0;
        _route = null;
        _endpoint = null;
        _bodyIdle = limits.IdleTimeout;
        var keepAlive = false;
        try
        {
            keepAlive = await ServeAsync(snapshot, limits).ConfigureAwait(false);
            return keepAlive;
        }
        finally
        {
            Complete();
        }
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<bool> ServeAsync(GatewaySnapshot snapshot, LimitsModel limits)
    {
        var request = _request;
        var error = Http1Parser.ParseRequest(request, limits.MaxHeaders);
        if (error != Http1Error.None)
        {
            return await AnswerLocalAsync(error.ToStatusCode(), close: true).ConfigureAwait(false);
        }
        var hasBody = request.IsChunked || request.ContentLength > 0;
        // A local answer that leaves a request body unread must close: the body's bytes would
        // otherwise be read as the next request.
        var closeOnLocal = hasBody || !request.KeepAlive;

        var lookup = new Http1HeaderLookup(request);
        var routeIndex = _listenerIndex < 0
            ? -1
            : snapshot.Routes.Match(_listenerIndex, request.Host, request.PathLength > 0 ? request.Path : "/"u8, request.MethodBytes, ref lookup);
        if (routeIndex < 0)
        {
            return await AnswerLocalAsync(404, closeOnLocal).ConfigureAwait(false);
        }
        var route = snapshot.RouteRuntimes[routeIndex];
        _route = route;
        if (request.ContentLength > route.MaxBodyBytes)
        {
            return await AnswerLocalAsync(413, close: true).ConfigureAwait(false);
        }
        var endpoint = route.Cluster.Pick();
        if (endpoint is null)
        {
            return await AnswerLocalAsync(503, closeOnLocal).ConfigureAwait(false);
        }
        _endpoint = endpoint;
        endpoint.OnRequestStart();
        try
        {
            return await ForwardAsync(route, endpoint, hasBody, closeOnLocal).ConfigureAwait(false);
        }
        finally
        {
            endpoint.OnRequestEnd();
            var upstream = Interlocked.Exchange(ref _upstream, null);
            upstream?.Dispose();
            ReleaseResponseHead();
        }
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<bool> ForwardAsync(RouteRuntime route, EndpointState endpoint, bool hasBody, bool closeOnLocal)
    {
        var request = _request;
        var upstream = endpoint.TryRent();
        for (var attempt = 0; ; attempt++)
        {
            var reused = upstream is not null;
            if (upstream is null)
            {
                try
                {
                    upstream = await endpoint.ConnectAsync(route.Cluster.Model.ConnectTimeout).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    _gateway.Metrics.UpstreamError();
                    return await AnswerLocalAsync(504, closeOnLocal).ConfigureAwait(false);
                }
                catch (SocketException)
                {
                    _gateway.Metrics.UpstreamError();
                    return await AnswerLocalAsync(502, closeOnLocal).ConfigureAwait(false);
                }
            }
            _upstream = upstream;

            WriteRequestHead(upstream.Output, route, endpoint);
            if (hasBody)
            {
                if (request.ExpectContinue)
                {
                    _output.Write(Http1StatusResponses.Continue100);
                    var continued = await _output.FlushAsync().ConfigureAwait(false);
                    if (continued.IsCompleted)
                    {
                        return false;
                    }
                }
                var sent = await CopyRequestBodyAsync(upstream, route.MaxBodyBytes).ConfigureAwait(false);
                if (sent != CopyStatus.Completed)
                {
                    return await FailRequestBodyAsync(sent).ConfigureAwait(false);
                }
            }
            var flushed = await upstream.Output.FlushAsync().ConfigureAwait(false);
            var requestSentAt = Stopwatch.GetTimestamp();

            var head = flushed.IsCompleted ? ResponseHeadStatus.Closed : await ReadResponseHeadAsync(upstream, route.TimeoutTicks).ConfigureAwait(false);
            if (head == ResponseHeadStatus.Closed && reused && !hasBody && attempt == 0)
            {
                // The upstream closed a pooled connection just as we picked it (the keep-alive race):
                // nothing reached it, so the request is safe to send again on a new connection.
                _upstream = null;
                upstream.Dispose();
                upstream = null;
                continue;
            }
            if (head != ResponseHeadStatus.Received)
            {
                _gateway.Metrics.UpstreamError();
                var status = head == ResponseHeadStatus.TimedOut ? 504 : 502;
                return await AnswerLocalAsync(status, closeOnLocal).ConfigureAwait(false);
            }
            _upstreamTicks = Stopwatch.GetTimestamp() - requestSentAt;
            _gateway.Metrics.UpstreamLatency.Record(_upstreamTicks);
            return await SendResponseAsync(upstream).ConfigureAwait(false);
        }
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<bool> FailRequestBodyAsync(CopyStatus status)
    {
        switch (status)
        {
            case CopyStatus.TooLarge:
                return await AnswerLocalAsync(413, close: true).ConfigureAwait(false);
            case CopyStatus.InvalidFraming:
                return await AnswerLocalAsync(400, close: true).ConfigureAwait(false);
            case CopyStatus.TimedOut:
                return await AnswerLocalAsync(408, close: true).ConfigureAwait(false);
            case CopyStatus.DestinationEnded:
                _gateway.Metrics.UpstreamError();
                return await AnswerLocalAsync(502, close: true).ConfigureAwait(false);
            default:
                // The client closed mid-body: nobody to answer.
                _status = 499;
                return false;
        }
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<ResponseHeadStatus> ReadResponseHeadAsync(UpstreamConnection upstream, long timeoutTicks)
    {
        var input = upstream.Input;
        Arm(TimeoutKind.UpstreamResponse, timeoutTicks);
        try
        {
            while (true)
            {
                System.IO.Pipelines.ReadResult result;
                try
                {
                    result = await input.ReadAsync().ConfigureAwait(false);
                }
                catch (Exception ex) when (IsConnectionFault(ex))
                {
                    return ResponseHeadStatus.Closed;
                }
                var buffer = result.Buffer;
                if (result.IsCanceled)
                {
                    _fired = TimeoutKind.None;
                    return ResponseHeadStatus.TimedOut;
                }
                if (Http1Parser.TryFindHeadEnd(buffer, MaxResponseHeadBytes, MaxResponseHeadBytes, out var headLength, out var error))
                {
                    var response = upstream.Response;
                    ReleaseResponseHead();
                    response.Reset();
                    _responseHeadBuffer = ArrayPool<byte>.Shared.Rent(headLength);
                    buffer.Slice(0, headLength).CopyTo(_responseHeadBuffer);
                    response.Buffer = _responseHeadBuffer;
                    response.Length = headLength;
                    input.AdvanceTo(buffer.GetPosition(headLength));
                    if (Http1Parser.ParseResponse(response, MaxResponseHeaders) != Http1Error.None)
                    {
                        return ResponseHeadStatus.Invalid;
                    }
                    if (response.StatusCode is >= 100 and < 200 && response.StatusCode != 101)
                    {
                        // Interim responses (100 Continue, 103 Early Hints): the client already had
                        // our own 100 Continue, so these are consumed here and the final head awaited.
                        continue;
                    }
                    return response.StatusCode == 101 ? ResponseHeadStatus.Invalid : ResponseHeadStatus.Received;
                }
                if (error != Http1Error.None)
                {
                    input.AdvanceTo(buffer.End);
                    return ResponseHeadStatus.Invalid;
                }
                if (result.IsCompleted)
                {
                    var empty = buffer.IsEmpty;
                    input.AdvanceTo(buffer.End);
                    return empty ? ResponseHeadStatus.Closed : ResponseHeadStatus.Invalid;
                }
                input.AdvanceTo(buffer.Start, buffer.End);
            }
        }
        finally
        {
            Disarm();
        }
    }

    private const int MaxResponseHeaders = 256;

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<bool> SendResponseAsync(UpstreamConnection upstream)
    {
        var request = _request;
        var response = upstream.Response;
        var status = response.StatusCode;
        var framing = request.Method == RequestMethod.Head || status is 204 or 304 or < 200
            ? ResponseFraming.None
            : response.IsChunked ? ResponseFraming.Chunked
            : response.ContentLength >= 0 ? ResponseFraming.ContentLength
            : ResponseFraming.UntilClose;
        var client11 = request.Version == ProtocolVersion.Http11;
        // Bodies of unknown length go to an HTTP/1.1 client chunked; an HTTP/1.0 client can only
        // see their end as the connection closing.
        var chunkToClient = client11 && framing is ResponseFraming.Chunked or ResponseFraming.UntilClose;
        var closeClient = !request.KeepAlive || _closeWhenIdle || (!client11 && framing is ResponseFraming.Chunked or ResponseFraming.UntilClose);
        var upstreamReusable = response.KeepAlive && framing != ResponseFraming.UntilClose;

        _status = status;
        WriteResponseHead(response, framing, chunkToClient, closeClient);

        var copied = framing switch
        {
            ResponseFraming.None => CopyStatus.Completed,
            ResponseFraming.ContentLength => await CopyLengthAsync(upstream.Input, _output, response.ContentLength, toClient: true).ConfigureAwait(false),
            ResponseFraming.Chunked => await CopyChunkedAsync(upstream.Input, _output, chunkToClient, long.MaxValue, toClient: true).ConfigureAwait(false),
            _ => await CopyUntilCloseAsync(upstream.Input, _output, chunkToClient).ConfigureAwait(false),
        };
        Disarm();
        var flushed = await _output.FlushAsync().ConfigureAwait(false);
        if (copied == CopyStatus.Completed && upstreamReusable)
        {
            _upstream = null;
            upstream.Endpoint.Return(upstream);
        }
        if (copied != CopyStatus.Completed || flushed.IsCompleted || flushed.IsCanceled)
        {
            return false;
        }
        return !closeClient;
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<bool> AnswerLocalAsync(int status, bool close)
    {
        _status = status;
        await WriteLocalAsync(status, close).ConfigureAwait(false);
        return !close;
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask WriteLocalAsync(int status, bool close)
    {
        var bytes = Http1StatusResponses.Get(status, close);
        _output.Write(bytes);
        _bytesOut += bytes.Length;
        _gateway.Metrics.AddBytesOut(bytes.Length);
        await _output.FlushAsync().ConfigureAwait(false);
    }

    private void ReleaseResponseHead()
    {
        var buffer = _responseHeadBuffer;
        if (buffer is not null)
        {
            _responseHeadBuffer = null;
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Counts the exchange and writes its access-log line.</summary>
    private void Complete()
    {
        var status = _status;
        if (status == 0)
        {
            status = 499;
        }
        var route = _route;
        (route?.State ?? _gateway.Metrics.Unrouted).Count(status);
        var log = _gateway.AccessLog;
        if (log is null)
        {
            return;
        }
        var request = _request;
        var record = new AccessLogRecord
        {
            Time = DateTime.UtcNow,
            Client = _clientAddress,
            Method = request.MethodBytes,
            Target = request.Target,
            Host = request.Host,
            Status = status,
            BytesIn = _bytesIn,
            BytesOut = _bytesOut,
            DurationTicks = Stopwatch.GetTimestamp() - _exchangeStart,
            Route = route is null ? default : route.NameUtf8,
            Upstream = _endpoint is null ? default : _endpoint.AddressUtf8,
            UpstreamTicks = _upstreamTicks,
        };
        log.Write(record);
    }

    private enum ResponseHeadStatus : byte
    {
        Received,
        Closed,
        Invalid,
        TimedOut,
    }
}
