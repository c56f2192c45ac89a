using System.Buffers;
using System.Diagnostics;
using System.IO.Pipelines;
using FastGate.Core.Buffers;
using FastGate.Core.Http;
using FastGate.Core.Http1;
using FastGate.Core.Transport.Epoll;
using FastGate.Proxy.Stages;
using FastGate.Proxy.Upstreams;

namespace FastGate.Proxy.Forwarding;

/// <summary>
/// The upstream side of an exchange, the same whatever front the request came in on: it picks
/// the endpoint (running the upstream-chosen stages), rents a pooled connection or names the
/// connect, writes the request head from the exchange (with the stages' edits) and a body in
/// hand, finds and parses the response head, and decodes the response body's framing. It never
/// awaits: the front's loop does the I/O these steps name, so one loop drives client and
/// upstream alike. One per front slot (an HTTP/1.1 connection; later an HTTP/2 stream), reused.
/// </summary>
internal sealed class UpstreamLeg
{
    private const int MaxResponseHeadBytes = 64 * 1024;
    private const int MaxResponseHeaders = 256;

    /// <summary>Where the search for the response head's end stopped, so an upstream trickling its head costs linear time.</summary>
    private Http1HeadScanState _responseScan;
    private HeadArray _responseHeadArray;

    /// <summary>The connection of this attempt; null before one is rented or opened, and after.</summary>
    public UpstreamConnection? Connection;
    /// <summary>The cluster the endpoint was picked from (the route's, or a stage's choice).</summary>
    public Cluster? Cluster { get; private set; }
    /// <summary>The connection came from the pool (it may have been closed by the upstream meanwhile).</summary>
    public bool Reused { get; private set; }
    /// <summary>When the request was all sent, for the upstream latency.</summary>
    public long RequestSentAt;
    /// <summary>Decodes the response body's framing; the front frames it again for its client.</summary>
    public Http1BodyReader ResponseBody;
    /// <summary>The request is a checked WebSocket upgrade: it goes out with its Upgrade, and a 101 answers it.</summary>
    public bool WebSocketUpgrade;

    // What this exchange holds of its clusters' circuit and retry counts, each given back exactly
    // once: when the use ends, or at the latest in Clear. A request counts once per cluster
    // however many tries it makes there; a connect from the pick until it completes or fails; a
    // retry from its start until the next retry or the exchange's end.
    private ClusterState? _requestCounted;
    private ClusterState? _connectCounted;
    private ClusterState? _retryCounted;

    /// <summary>Tries sent to an endpoint so far, the first included; the free resend of the keep-alive race is not one.</summary>
    public int Tries { get; private set; }
    /// <summary>Some byte of a response (an interim one, or part of a head) came on this try.</summary>
    public bool ResponseStarted { get; private set; }
    /// <summary>The cap that refused the last pick (<see cref="UpstreamPick.CircuitOpen"/>).</summary>
    public CircuitCap Refused { get; private set; }

    /// <summary>The final response head, valid after <see cref="ResponseHeadRead.Final"/>.</summary>
    public ResponseHead Response => Connection!.Response;

    /// <summary>
    /// Picks an endpoint from the exchange's cluster and runs the upstream-chosen stages, which
    /// may move the exchange to another cluster once. On <see cref="UpstreamPick.Rented"/> the
    /// pooled connection is in <see cref="Connection"/>; on <see cref="UpstreamPick.Connect"/> the
    /// connect is counted against the cluster's caps. A retry passes the endpoint that failed as
    /// <paramref name="avoid"/>.
    /// </summary>
    public UpstreamPick Pick(Exchange exchange, ulong clientHash, EndpointState? avoid, out Exception? stageFault)
    {
        stageFault = null;
        Reused = false;
        var chain = exchange.Chain;
        for (var pick = 0; ; pick++)
        {
            var cluster = exchange.Cluster;
            if (cluster is null)
            {
                return UpstreamPick.NoEndpoint;
            }
            if (!ReferenceEquals(_requestCounted, cluster.State))
            {
                EndRequest();
                var cap = cluster.State.TryStartRequest();
                if (cap != CircuitCap.None)
                {
                    Refused = cap;
                    return UpstreamPick.CircuitOpen;
                }
                _requestCounted = cluster.State;
            }
            var endpoint = cluster.Pick(clientHash, avoid);
            if (endpoint is null)
            {
                return UpstreamPick.NoEndpoint;
            }
            Cluster = cluster;
            exchange.Endpoint = endpoint;
            endpoint.OnRequestStart();
            if (!chain.HasUpstreamChosen)
            {
                break;
            }
            StageOutcome outcome;
            try
            {
                outcome = chain.RunUpstreamChosen(exchange);
            }
            catch (Exception ex)
            {
                stageFault = ex;
                return UpstreamPick.StageFailed;
            }
            if (outcome == StageOutcome.Answered)
            {
                return UpstreamPick.Answered;
            }
            if (ReferenceEquals(exchange.Cluster, cluster) || pick == 1)
            {
                break;
            }
            endpoint.OnRequestEnd();
            exchange.Endpoint = null;
        }
        Tries++;
        var upstream = exchange.Endpoint!.TryRent();
        if (upstream is null)
        {
            var cap = StartConnect();
            if (cap != CircuitCap.None)
            {
                Refused = cap;
                return UpstreamPick.CircuitOpen;
            }
            return UpstreamPick.Connect;
        }
        Connection = upstream;
        Reused = true;
        return UpstreamPick.Rented;
    }

    /// <summary>
    /// Counts a new connection to the picked endpoint against its cluster's caps (max_pending,
    /// max_connections), or names the cap that refuses it; <see cref="EndConnect"/> gives it back.
    /// </summary>
    public CircuitCap StartConnect()
    {
        EndConnect();
        var state = Cluster!.State;
        var cap = state.TryStartConnect();
        if (cap == CircuitCap.None)
        {
            _connectCounted = state;
        }
        return cap;
    }

    /// <summary>The connect completed or failed: it no longer waits.</summary>
    public void EndConnect() => Take(ref _connectCounted)?.EndConnect();

    /// <summary>
    /// Takes a retry from the cluster's budget; false when it is spent. The retry this exchange
    /// made before, if any, has ended and is given back first.
    /// </summary>
    public bool TryStartRetry()
    {
        EndRetry();
        var state = Cluster!.State;
        if (!state.TryStartRetry())
        {
            return false;
        }
        _retryCounted = state;
        return true;
    }

    /// <summary>The retry in flight, if any, has ended.</summary>
    public void EndRetry() => Take(ref _retryCounted)?.EndRetry();

    private void EndRequest() => Take(ref _requestCounted)?.EndRequest();

    /// <summary>The cluster a count was held against, now held no more (so it is given back once).</summary>
    private static ClusterState? Take(ref ClusterState? counted)
    {
        var state = counted;
        counted = null;
        return state;
    }

    /// <summary>Opens a new connection to the picked endpoint, within its cluster's connect timeout.</summary>
    public ValueTask<UpstreamConnection> ConnectAsync(Exchange exchange) =>
        exchange.Endpoint!.ConnectAsync(Cluster!.Model.ConnectTimeout);

    public void Connected()
    {
        Reused = false;
    }

    /// <summary>Writes the request head, and the body when the exchange holds it whole.</summary>
    public void WriteRequest(Exchange exchange, bool bodyInHand)
    {
        var output = Connection!.Output;
        // A stage's body for this attempt goes in place of the client's, framed as a body in hand.
        bodyInHand |= exchange.HasUpstreamBody;
        WriteRequestHead(output, exchange, bodyInHand);
        if (bodyInHand)
        {
            output.Write(exchange.OutgoingBody);
        }
    }

    /// <summary>The request is sent: from now on the response head is awaited.</summary>
    public void RequestSent()
    {
        RequestSentAt = LoopClock.Now;
        ResponseStarted = false;
        _responseScan.Reset();
    }

    /// <summary>
    /// Looks for the response head in what the upstream sent and advances its input past what was
    /// used. Interim heads (100 Continue, 103 Early Hints) are dropped: the client already had our
    /// own 100 Continue. A read that was cancelled is the caller's to handle before this.
    /// </summary>
    public ResponseHeadRead ReadResponseHead(in ReadResult result)
    {
        var input = Connection!.Input;
        var buffer = result.Buffer;
        if (!buffer.IsEmpty)
        {
            ResponseStarted = true;
        }
        if (_responseScan.IsFresh && buffer.IsSingleSegment && !buffer.IsEmpty && TryTakeWholeResponseHead(buffer.FirstSpan, out var wholeLength))
        {
            input.AdvanceTo(buffer.GetPosition(wholeLength));
            var status = Connection.Response.StatusCode;
            return status < 200 && status != 101 ? ResponseHeadRead.Interim : ResponseHeadRead.Final;
        }
        if (Http1Parser.TryFindHeadEnd(buffer, ref _responseScan, MaxResponseHeadBytes, MaxResponseHeadBytes, out var headLength, out var error))
        {
            // The bytes before the next head (after an interim response) start somewhere else.
            _responseScan.Reset();
            var response = Connection.Response;
            response.Reset();
            var head = _responseHeadArray.Get(headLength);
            buffer.Slice(0, headLength).CopyTo(head);
            response.Buffer = head;
            response.Length = headLength;
            input.AdvanceTo(buffer.GetPosition(headLength));
            if (Http1Parser.ParseResponse(response, MaxResponseHeaders) != Http1Error.None || (response.StatusCode == 101 && !WebSocketUpgrade))
            {
                return ResponseHeadRead.Invalid;
            }
            return response.StatusCode < 200 && response.StatusCode != 101 ? ResponseHeadRead.Interim : ResponseHeadRead.Final;
        }
        if (error != Http1Error.None)
        {
            input.AdvanceTo(buffer.End);
            return ResponseHeadRead.Invalid;
        }
        if (result.IsCompleted)
        {
            var empty = buffer.IsEmpty;
            input.AdvanceTo(buffer.End);
            return empty ? ResponseHeadRead.ClosedEmpty : ResponseHeadRead.ClosedPartial;
        }
        input.AdvanceTo(buffer.Start, buffer.End);
        return ResponseHeadRead.NeedMoreData;
    }

    /// <summary>
    /// A response head that arrived whole at the start of <paramref name="bytes"/>, found and parsed in
    /// one pass and copied to the head array. False for anything else, which the resumable scan and
    /// the parse after it decide (and answer Invalid where they must).
    /// </summary>
    private bool TryTakeWholeResponseHead(ReadOnlySpan<byte> bytes, out int headLength)
    {
        var response = Connection!.Response;
        response.Reset();
        if (!Http1Parser.TryParseResponseHead(bytes, response, MaxResponseHeadBytes, MaxResponseHeaders, out headLength)
            || (response.StatusCode == 101 && !WebSocketUpgrade))
        {
            response.Reset();
            return false;
        }
        var head = _responseHeadArray.Get(headLength);
        bytes[..headLength].CopyTo(head);
        response.Buffer = head;
        response.Length = headLength;
        return true;
    }

    /// <summary>The response is complete and the connection may carry another request: back to its endpoint's pool.</summary>
    public void ReturnConnection()
    {
        var upstream = Connection!;
        Connection = null;
        upstream.Endpoint.Return(upstream);
    }

    /// <summary>Closes the connection of this attempt, if any (a failure, a retry, an answer that leaves a response unread).</summary>
    public void DropConnection()
    {
        var upstream = Connection;
        if (upstream is not null)
        {
            Connection = null;
            upstream.Dispose();
        }
    }

    public void ReleaseResponseHead() => _responseHeadArray.Done();

    /// <summary>The exchange leaves its pool for good (after <see cref="Clear"/>): the kept head array goes back too.</summary>
    public void Release() => _responseHeadArray.Drop();

    /// <summary>
    /// Ends the exchange's use of the leg: the connection closes, the response head's buffer goes
    /// back, and what the exchange counted against its clusters is given back.
    /// </summary>
    public void Clear()
    {
        DropConnection();
        ReleaseResponseHead();
        EndConnect();
        EndRetry();
        EndRequest();
        Cluster = null;
        Reused = false;
        WebSocketUpgrade = false;
        Tries = 0;
        ResponseStarted = false;
        Refused = CircuitCap.None;
    }

    /// <summary>
    /// Writes the upstream request head: the method and (prefix-stripped) path over HTTP/1.1,
    /// the end-to-end headers, our own framing header, and the forwarding headers. Hop-by-hop
    /// headers (RFC 9110 §7.6.1) and any header the client's Connection names stay here.
    /// </summary>
    private void WriteRequestHead(PipeWriter output, Exchange exchange, bool bodyInHand)
    {
        var request = exchange.Request;
        var route = exchange.Route!;
        var endpoint = exchange.Endpoint!;
        var edits = exchange.UpstreamRequestEdits;
        var w = new BufferWriter<PipeWriter>(output);
        w.Write(request.MethodBytes);
        w.Write((byte)' ');
        if (exchange.HasUpstreamTarget)
        {
            // A stage's rewrite is the whole target: the route's strip_prefix does not apply again.
            w.Write(exchange.UpstreamTarget);
        }
        else
        {
            var path = request.PathLength > 0 ? request.Path : "/"u8;
            var strip = route.StripPrefix;
            if (strip.Length > 0 && path.StartsWith(strip))
            {
                path = path[strip.Length..];
                if (path.IsEmpty || path[0] != (byte)'/')
                {
                    w.Write((byte)'/');
                }
            }
            w.Write(path);
            w.Write(request.Query);
        }
        w.Write(" HTTP/1.1\r\n"u8);

        var customConnectionTokens = request.HasCustomConnectionTokens();
        var forwardedFor = false;
        foreach (ref readonly var header in request.Headers)
        {
            if (ForwardedFields.IsHopByHop(request, header, customConnectionTokens))
            {
                continue;
            }
            switch (header.Known)
            {
                case KnownHeader.Expect:
                case KnownHeader.ContentLength:
                case KnownHeader.Host:
                case KnownHeader.XForwardedProto:
                case KnownHeader.XForwardedHost:
                    continue;
                case KnownHeader.XForwardedFor:
                    forwardedFor = true;
                    continue;
            }
            if (header.Known == KnownHeader.Other && ForwardedFields.IsClientCertificateField(request.Name(header)))
            {
                // Only this proxy says who a client proved to be; a client's own claim is dropped.
                continue;
            }
            if (edits is not null && edits.Drops(request.Name(header)))
            {
                continue;
            }
            if (header.Known == KnownHeader.Other && exchange.GrpcDeadline != long.MaxValue && WriteGrpcTimeoutLeft(ref w, exchange, request, header))
            {
                continue;
            }
            ForwardedFields.Write(ref w, request, header);
        }
        edits?.WriteFields(ref w);
        if (WebSocketUpgrade)
        {
            // Connection and Upgrade are hop-by-hop: the upgrade is asked again on this hop.
            w.Write("Connection: Upgrade\r\nUpgrade: websocket\r\n"u8);
        }

        // Host: the absolute-form authority wins over the header (RFC 9112 §3.2.2), which the
        // parser already folded into Host; HTTP/1.0 clients may send none.
        w.Write("Host: "u8);
        w.Write(exchange.HasUpstreamHost ? exchange.UpstreamHost : request.HostLength > 0 ? request.Host : endpoint.HostHeaderUtf8);
        w.Write("\r\n"u8);
        if (bodyInHand)
        {
            w.Write("Content-Length: "u8);
            w.WriteDecimal(exchange.OutgoingBody.Length);
            w.Write("\r\n"u8);
        }
        else if (request.IsChunked)
        {
            w.Write("Transfer-Encoding: chunked\r\n"u8);
        }
        else if (request.ContentLength >= 0)
        {
            w.Write("Content-Length: "u8);
            w.WriteDecimal(request.ContentLength);
            w.Write("\r\n"u8);
        }

        w.Write("X-Forwarded-For: "u8);
        // Only a trusted proxy's list is carried on (trusted_proxies); anyone else could write any
        // address there. A list the client's Connection names is hop-by-hop: it ends here too.
        if (forwardedFor && exchange.ClientTrusted
            && !(customConnectionTokens && request.IsNamedByConnection("X-Forwarded-For"u8)))
        {
            foreach (ref readonly var header in request.Headers)
            {
                if (header.Known == KnownHeader.XForwardedFor && header.ValueLength > 0)
                {
                    w.Write(request.Value(header));
                    w.Write(", "u8);
                }
            }
        }
        w.Write(exchange.ClientAddressBytes);
        // The client's X-Forwarded-Proto/-Host are replaced, not trusted: they describe the hop
        // into this proxy, which only we know.
        var tls = exchange.ClientTls;
        w.Write(tls is null ? "\r\nX-Forwarded-Proto: http\r\n"u8 : "\r\nX-Forwarded-Proto: https\r\n"u8);
        if (tls is not null)
        {
            w.Write(tls.UpstreamFields);
        }
        if (request.HostLength > 0)
        {
            w.Write("X-Forwarded-Host: "u8);
            w.Write(request.Host);
            w.Write("\r\n"u8);
        }
        w.Write("Via: 1.1 fastgate\r\n\r\n"u8);
        w.Commit();
    }

    /// <summary>
    /// A grpc-timeout field goes upstream as what is left of the exchange's gRPC deadline, in the
    /// finest unit that fits 8 digits; true when written. Called only when the exchange has a
    /// deadline (a malformed field has none and goes as it is). The exchange answered
    /// DEADLINE_EXCEEDED itself if nothing was left.
    /// </summary>
    private static bool WriteGrpcTimeoutLeft(ref BufferWriter<PipeWriter> w, Exchange exchange, RequestHead request, in HeaderEntry header)
    {
        if (!System.Text.Ascii.EqualsIgnoreCase(request.Name(header), "grpc-timeout"u8))
        {
            return false;
        }
        var left = Math.Max(1, exchange.GrpcDeadline - Stopwatch.GetTimestamp());
        Span<byte> value = stackalloc byte[GrpcTimeout.MaxLength];
        var length = GrpcTimeout.Format(left, value);
        w.Write("grpc-timeout: "u8);
        w.Write(value[..length]);
        w.Write("\r\n"u8);
        return true;
    }

}
