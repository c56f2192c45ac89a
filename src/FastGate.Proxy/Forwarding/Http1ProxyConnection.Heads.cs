using System.IO.Pipelines;
using FastGate.Core.Buffers;
using FastGate.Core.Http;
using FastGate.Core.Http1;
using FastGate.Proxy.Hosting;
using FastGate.Proxy.Upstreams;

namespace FastGate.Proxy.Forwarding;

public sealed partial class Http1ProxyConnection
{
    /// <summary>
    /// Writes the upstream request head: the method and (prefix-stripped) path over HTTP/1.1,
    /// the end-to-end headers, our own framing header, and the forwarding headers. Hop-by-hop
    /// headers (RFC 9110 §7.6.1) and any header the client's Connection names stay here.
    /// </summary>
    private void WriteRequestHead(PipeWriter output, RouteRuntime route, EndpointState endpoint)
    {
        var request = _request;
        var exchange = _exchange;
        var edits = exchange.UpstreamRequestHeaders;
        var edited = edits.Count > 0;
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
            if (IsHopByHop(request, header, customConnectionTokens))
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
            if (edited && edits.Drops(request.Name(header)))
            {
                continue;
            }
            WriteField(ref w, request, header);
        }
        if (edited)
        {
            edits.WriteFields(ref w);
        }

        // Host: the absolute-form authority wins over the header (RFC 9112 §3.2.2), which the
        // parser already folded into Host; HTTP/1.0 clients may send none.
        w.Write("Host: "u8);
        w.Write(exchange.HasUpstreamHost ? exchange.UpstreamHost : request.HostLength > 0 ? request.Host : endpoint.HostHeaderUtf8);
        w.Write("\r\n"u8);
        if (_bodyInHand)
        {
            w.Write("Content-Length: "u8);
            w.WriteDecimal(exchange.RequestBody.Length);
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
        if (forwardedFor && _clientTrusted
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
        w.Write(_clientAddress);
        // The client's X-Forwarded-Proto/-Host are replaced, not trusted: they describe the hop
        // into this proxy, which only we know.
        w.Write("\r\nX-Forwarded-Proto: http\r\n"u8);
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
    /// Writes the client's response head: the upstream status over HTTP/1.1, its end-to-end
    /// headers, and framing chosen for the client (we may re-chunk, or close to delimit).
    /// </summary>
    private void WriteResponseHead(Http1ResponseHead response, bool noBody, Http1BodyFraming framing, bool chunkToClient, bool closeClient)
    {
        var w = new BufferWriter<PipeWriter>(_output);
        w.Write("HTTP/1.1 "u8);
        w.WriteDecimal(response.StatusCode);
        w.Write((byte)' ');
        w.Write(response.Reason);
        w.Write("\r\n"u8);
        var customConnectionTokens = response.HasCustomConnectionTokens();
        var edits = _exchange.ResponseHeaders;
        var edited = edits.Count > 0;
        foreach (ref readonly var header in response.Headers)
        {
            if (IsHopByHop(response, header, customConnectionTokens) || (edited && edits.Drops(response.Name(header))))
            {
                continue;
            }
            switch (header.Known)
            {
                // A HEAD or 304 answer keeps the Content-Length the upstream gave (the size of the
                // representation); bodies we frame ourselves get ours below.
                case KnownHeader.ContentLength when !noBody:
                    continue;
            }
            WriteField(ref w, response, header);
        }
        if (edited)
        {
            edits.WriteFields(ref w);
        }
        if (!noBody && framing == Http1BodyFraming.ContentLength)
        {
            w.Write("Content-Length: "u8);
            w.WriteDecimal(response.ContentLength);
            w.Write("\r\n"u8);
        }
        else if (chunkToClient)
        {
            w.Write("Transfer-Encoding: chunked\r\n"u8);
        }
        if (closeClient)
        {
            w.Write("Connection: close\r\n"u8);
        }
        else if (_request.Version == ProtocolVersion.Http10)
        {
            w.Write("Connection: keep-alive\r\n"u8);
        }
        w.Write("\r\n"u8);
        _exchange.BytesOut += w.Buffered;
        w.Commit();
    }

    /// <summary>
    /// Fields that describe one connection (RFC 9110 §7.6.1), and any the message's Connection
    /// header names: they stay on their hop, in either direction.
    /// </summary>
    private static bool IsHopByHop(Http1Head head, in HeaderEntry header, bool customConnectionTokens) =>
        header.Known is KnownHeader.Connection or KnownHeader.KeepAlive or KnownHeader.ProxyConnection
            or KnownHeader.Te or KnownHeader.Trailer or KnownHeader.TransferEncoding or KnownHeader.Upgrade
        || (header.Known == KnownHeader.Other && customConnectionTokens && head.IsNamedByConnection(head.Name(header)));

    private static void WriteField(ref BufferWriter<PipeWriter> w, Http1Head head, in HeaderEntry header)
    {
        w.Write(head.Name(header));
        w.Write(": "u8);
        w.Write(head.Value(header));
        w.Write("\r\n"u8);
    }
}
