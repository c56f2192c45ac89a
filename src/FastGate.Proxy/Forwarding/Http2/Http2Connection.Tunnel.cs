using FastGate.Core.Http;
using FastGate.Core.Http2;

namespace FastGate.Proxy.Forwarding.Http2;

// WebSocket over HTTP/2 (RFC 8441). An extended CONNECT with :protocol websocket is bridged as
// the HTTP/1.1 upgrade it stands for; the front's WebSocket path (upgrade checks, the upstream's
// 101 and Sec-WebSocket-Accept, frame validation both ways, limits, drain) does the work. The
// front's 101 becomes :status 200, and from then on the stream is a tunnel: DATA from the client
// go into the bridge as they are, what the front writes goes out as DATA, END_STREAM either way
// is the end of that side's bytes (a TCP FIN), RST_STREAM a TCP reset.
public sealed partial class Http2Connection
{
    /// <summary>An extended CONNECT whose block was valid: refused here, or bridged as a WebSocket upgrade.</summary>
    private void OpenTunnel(Http2Stream stream, bool endStream)
    {
        if (endStream || _request.ContentLength > 0)
        {
            // RFC 8441 §4 / RFC 9113 §8.5: the stream carries the tunnel's bytes; a CONNECT that
            // ends at once, or says it has content of a fixed length, is malformed.
            ResetStream(stream, Http2ErrorCode.ProtocolError);
            return;
        }
        if (!_request.IsWebSocket)
        {
            // RFC 8441 leaves other protocols to the server: none is spoken here. 501, as for a
            // plain CONNECT: the method is understood, this use of it is not implemented.
            SendLocalResponse(stream, 501, "only the websocket protocol is supported with extended CONNECT\n"u8);
            return;
        }
        stream.IsTunnel = true;
        stream.ExpectedLength = -1;
        stream.RequestChunked = false;
        stream.IsHead = false;
        StartExchange(stream, endStream: false);
    }

    /// <summary>
    /// The front switched to WebSocket (101): :status 200 without END_STREAM (RFC 8441 §5), with
    /// the fields of the 101 that mean something to the client (Sec-WebSocket-Protocol,
    /// -Extensions, edits of the route). The upgrade fields and Sec-WebSocket-Accept are the
    /// HTTP/1.1 handshake's, and a 2xx to CONNECT carries no Content-Length (RFC 9110 §9.3.6).
    /// </summary>
    internal void SendTunnelHead(Http2Stream stream, ResponseHead head)
    {
        var customTokens = head.HasCustomConnectionTokens();
        using (_guard.Enter())
        {
            if (!BeginHeadLocked(stream, 200))
            {
                return;
            }
            foreach (ref readonly var field in head.Headers)
            {
                if (field.Known is KnownHeader.Connection or KnownHeader.KeepAlive or KnownHeader.ProxyConnection
                    or KnownHeader.TransferEncoding or KnownHeader.Upgrade or KnownHeader.Te or KnownHeader.ContentLength)
                {
                    continue;
                }
                var name = head.Name(field);
                if (field.Known == KnownHeader.Other
                    && ((customTokens && head.IsNamedByConnection(name)) || System.Text.Ascii.EqualsIgnoreCase(name, "sec-websocket-accept"u8)))
                {
                    continue;
                }
                _encoder.Encode(_encoded, name, head.Value(field), name.Length == 10 && System.Text.Ascii.EqualsIgnoreCase(name, "set-cookie"u8));
            }
            QueueHeadLocked(stream, endStream: false);
        }
        AfterHead(stream, endStream: false);
    }

    /// <summary>
    /// The tunnel's END_STREAM went out before the client's, and RST_STREAM(NO_ERROR) told the
    /// client to stop sending (RFC 9113 §8.1). To the tunnel that is the client's FIN, not a
    /// reset: the upstream's FIN that led here is the normal end of a close handshake.
    /// </summary>
    private static void EndTunnelRequest(Http2Stream stream)
    {
        using (stream.RequestGuard.Enter())
        {
            if (stream.RequestWriterDone)
            {
                return;
            }
            stream.RequestWriterDone = true;
            stream.Bridge.RequestWriter.Complete();
        }
    }

    /// <summary>
    /// The front answered a WebSocket CONNECT with a 2xx that is no switch (an upstream that
    /// ignored the upgrade): to the client a 2xx would mean the tunnel is open, so it gets 502.
    /// </summary>
    internal void RefuseTunnelAnswer(Http2Stream stream)
    {
        using (_guard.Enter())
        {
            if (!BeginHeadLocked(stream, 502))
            {
                return;
            }
            QueueHeadLocked(stream, endStream: true);
        }
        AfterHead(stream, endStream: true);
    }
}
