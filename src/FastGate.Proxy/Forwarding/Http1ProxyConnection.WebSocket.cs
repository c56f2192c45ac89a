using System.Buffers;
using System.IO.Pipelines;
using System.Text;
using FastGate.Core.Buffers;
using FastGate.Core.Http;
using FastGate.Core.WebSockets;
using FastGate.Proxy.Hosting;
using FastGate.Proxy.Observability;
using FastGate.Proxy.WebSockets;

namespace FastGate.Proxy.Forwarding;

/// <summary>
/// WebSocket over HTTP/1.1 (RFC 6455 §4): the upgrade request is checked here before it goes
/// upstream like any other request (through the route's stages, which may refuse it), the
/// upstream's 101 is checked against what the client asked for, and a good one hands the
/// connection to a <see cref="WebSocketTunnel"/> until it ends. The exchange stays open meanwhile,
/// pinning its snapshot, route and cluster, and is logged once when the tunnel ends.
/// </summary>
public sealed partial class Http1ProxyConnection
{
    private static readonly byte[] UpgradeRequired426 = Encoding.ASCII.GetBytes(
        "HTTP/1.1 426 Upgrade Required\r\nSec-WebSocket-Version: 13\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");

    // This exchange is a WebSocket upgrade being forwarded; cleared when the exchange finishes.
    private bool _webSocketUpgrade;
    // Its result is counted (fastgate_websocket_upgrades_total), once.
    private bool _webSocketCounted;
    private bool _webSocketCompression;
    private WebSocketTunnel? _tunnel;

    /// <summary>The tunnel this connection runs now, if any (for the drain to end it with 1001).</summary>
    internal WebSocketTunnel? ActiveTunnel => _tunnel;

    /// <summary>
    /// A request with Connection: upgrade and an Upgrade header, on a matched route. An upgrade to
    /// websocket is checked (RFC 6455 §4.2.1) and refused here when it is malformed (400), of
    /// another version (426 naming 13) or sent to a route that takes none (403, as Envoy answers
    /// an upgrade its route does not allow); null lets the exchange go on. Any other protocol
    /// (h2c, say) is not ours to speak: its Upgrade is dropped as before and the request served as HTTP.
    /// </summary>
    private IoOperation? OnUpgradeRequest(RouteRuntime route)
    {
        var request = _request;
        if (!request.ListsToken(KnownHeader.Upgrade, "websocket"u8))
        {
            return null;
        }
        _webSocketUpgrade = true;
        _webSocketCounted = false;
        var settings = route.Model.WebSocket;
        if (!settings.Enabled)
        {
            return RefuseUpgrade(WebSocketUpgradeResult.Refused, 403);
        }
        if (request.Method != RequestMethod.Get || request.Version != ProtocolVersion.Http11 || _hasBody)
        {
            return RefuseUpgrade(WebSocketUpgradeResult.BadRequest, 400);
        }
        if (!FindSingle(request, "sec-websocket-version"u8, out var version) || !version.SequenceEqual("13"u8))
        {
            CountUpgrade(WebSocketUpgradeResult.BadRequest);
            return AnswerRaw(426, UpgradeRequired426);
        }
        if (!FindSingle(request, "sec-websocket-key"u8, out var key) || !WebSocketHandshake.IsValidKey(key))
        {
            return RefuseUpgrade(WebSocketUpgradeResult.BadRequest, 400);
        }
        _leg.WebSocketUpgrade = true;
        return null;
    }

    private IoOperation RefuseUpgrade(WebSocketUpgradeResult result, int status)
    {
        CountUpgrade(result);
        return AnswerLocal(status, close: true);
    }

    /// <summary>A local answer of our own bytes (the 426 with its version header); the connection closes after it.</summary>
    private IoOperation AnswerRaw(int status, byte[] bytes)
    {
        _exchange.Status = status;
        _output.Write(bytes);
        _exchange.BytesOut += bytes.Length;
        _closeAfterLocal = true;
        _state = ExchangeState.FlushingLocal;
        return FlushWithDeadline(IoOperation.FlushClient);
    }

    private void CountUpgrade(WebSocketUpgradeResult result)
    {
        if (!_webSocketCounted)
        {
            _webSocketCounted = true;
            _gateway.Metrics.WebSockets.Upgrade(result);
        }
    }

    /// <summary>
    /// The upstream switched protocols (101) on an upgrade we forwarded. It must say websocket in
    /// Upgrade and upgrade in Connection, prove it read our key (Sec-WebSocket-Accept, RFC 6455
    /// §4.2.2), and choose only a subprotocol and extensions the client offered; otherwise the
    /// client gets 502 and the upstream connection is closed. A good one goes to the client, with
    /// the stages' response edits, and the tunnel follows.
    /// </summary>
    private IoOperation OnSwitchingProtocols(ResponseHead response)
    {
        _exchange.Response = response;
        if (!IsGoodSwitch(_request, response, out _webSocketCompression))
        {
            CountUpgrade(WebSocketUpgradeResult.BadUpstreamResponse);
            return UpstreamFailed(502, UpstreamFailure.BadResponseHead);
        }
        if (_exchange.Chain.HasResponseHead && RunResponseHeadStages() is { } next)
        {
            return next;
        }
        CountUpgrade(WebSocketUpgradeResult.Ok);
        _exchange.Status = 101;
        WriteSwitchingProtocols(response);
        _state = ExchangeState.SendingSwitch;
        return FlushWithDeadline(IoOperation.FlushClient);
    }

    private void WriteSwitchingProtocols(ResponseHead response)
    {
        var w = new BufferWriter<PipeWriter>(_output);
        w.Write("HTTP/1.1 101 "u8);
        w.Write(response.ReasonLength > 0 ? response.Reason : "Switching Protocols"u8);
        w.Write("\r\n"u8);
        var customConnectionTokens = response.HasCustomConnectionTokens();
        var edits = _exchange.ResponseEdits;
        foreach (ref readonly var header in response.Headers)
        {
            // Content-Length and Transfer-Encoding mean nothing on a 101 (RFC 9110 §8.6): dropped.
            if (ForwardedFields.IsHopByHop(response, header, customConnectionTokens) || header.Known == KnownHeader.ContentLength
                || (edits is not null && edits.Drops(response.Name(header))))
            {
                continue;
            }
            ForwardedFields.Write(ref w, response, header);
        }
        edits?.WriteFields(ref w);
        w.Write("Upgrade: websocket\r\nConnection: Upgrade\r\n\r\n"u8);
        _exchange.BytesOut += w.Buffered;
        w.Commit();
    }

    /// <summary>The 101 is out: the connection is the tunnel's until it ends.</summary>
    private IoOperation OnSwitchSent()
    {
        if (IsStaleCancel(_flush))
        {
            return IoOperation.FlushClient;
        }
        if (_fault is not null || _flush.IsCompleted || _flush.IsCanceled)
        {
            return Abort();
        }
        Disarm();
        ReleaseHeadArrays();
        var settings = _exchange.Route!.Model.WebSocket;
        _tunnel = new WebSocketTunnel(
            _input, _output, _leg.Connection!, _loop, _gateway.Metrics.WebSockets,
            new WebSocketLimits(settings.MaxFrameBytes, settings.MaxMessageBytes, settings.ValidateUtf8), _webSocketCompression,
            StreamIdleTimeout(), MaxStreamDuration());
        _state = ExchangeState.Tunneling;
        return IoOperation.Tunnel;
    }

    /// <summary>
    /// An idle tunnel holds no pooled buffer, and a tunnel may last for hours: the request head
    /// (which the access-log line reads at the end) moves to an array of its own size, and both
    /// head arrays go back to the pool. The response head is not read again.
    /// </summary>
    private void ReleaseHeadArrays()
    {
        var request = _request;
        // A normalized path may have been written after the head, in the same array.
        var used = Math.Max(request.Length, request.PathStart + request.PathLength);
        request.Buffer = request.Buffer.AsSpan(0, used).ToArray();
        _exchange.RequestHeadArray.Drop();
        _exchange.Response = null;
        _leg.Connection!.Response.Reset();
        _leg.Release();
    }

    /// <summary>No byte either way for this long ends a tunnel: the route's stream_idle_timeout, else the listener's idle_timeout.</summary>
    private TimeSpan? StreamIdleTimeout() => _exchange.Route!.Model.StreamIdleTimeout ?? _limits.IdleTimeout;

    /// <summary>How long a tunnel may last at most: the route's max_stream_duration (null: unlimited).</summary>
    private TimeSpan? MaxStreamDuration() => _exchange.Route!.Model.MaxStreamDuration;

    /// <summary>The tunnel is over: the exchange ends (logged as the 101 with the bytes of the whole tunnel) and so does the connection.</summary>
    private IoOperation OnTunnelEnded()
    {
        var tunnel = _tunnel!;
        _tunnel = null;
        _exchange.BytesIn += tunnel.BytesFromClient;
        _exchange.BytesOut += tunnel.BytesFromUpstream;
        FinishExchange();
        return IoOperation.Close;
    }

    /// <summary>The exchange finishes (whatever became of it): an upgrade answered otherwise than by a tunnel counts as refused.</summary>
    private void EndWebSocketExchange()
    {
        if (_webSocketUpgrade)
        {
            CountUpgrade(WebSocketUpgradeResult.Refused);
            _webSocketUpgrade = false;
        }
    }

    private static bool IsGoodSwitch(RequestHead request, ResponseHead response, out bool compression)
    {
        compression = false;
        if (!response.ListsToken(KnownHeader.Upgrade, "websocket"u8) || !response.ListsToken(KnownHeader.Connection, "upgrade"u8))
        {
            return false;
        }
        if (!FindSingle(request, "sec-websocket-key"u8, out var key) || !FindSingle(response, "sec-websocket-accept"u8, out var accept)
            || !WebSocketHandshake.IsExpectedAccept(key, accept))
        {
            return false;
        }
        var protocols = 0;
        foreach (ref readonly var header in response.Headers)
        {
            if (header.Known != KnownHeader.Other)
            {
                continue;
            }
            var name = response.Name(header);
            if (Ascii.EqualsIgnoreCase(name, "sec-websocket-protocol"u8))
            {
                // One subprotocol, one the client offered (RFC 6455 §4.1, 4.2.2).
                var chosen = response.Value(header);
                if (++protocols > 1 || chosen.IndexOf((byte)',') >= 0 || !request.ListsToken("sec-websocket-protocol"u8, chosen.Trim(" \t"u8)))
                {
                    return false;
                }
            }
            else if (Ascii.EqualsIgnoreCase(name, "sec-websocket-extensions"u8))
            {
                var list = response.Value(header);
                foreach (var range in list.Split((byte)','))
                {
                    var extension = list[range];
                    var parameters = extension.IndexOf((byte)';');
                    var extensionName = (parameters < 0 ? extension : extension[..parameters]).Trim(" \t"u8);
                    if (extensionName.IsEmpty)
                    {
                        continue;
                    }
                    // Only an extension the client asked for may be in use (RFC 6455 §9.1).
                    if (!OffersExtension(request, extensionName))
                    {
                        return false;
                    }
                    if (Ascii.EqualsIgnoreCase(extensionName, "permessage-deflate"u8))
                    {
                        // RSV1 marks compressed messages (RFC 7692); their payload is not UTF-8 checked.
                        compression = true;
                    }
                }
            }
        }
        return true;
    }

    private static bool OffersExtension(RequestHead request, ReadOnlySpan<byte> extensionName)
    {
        foreach (ref readonly var header in request.Headers)
        {
            if (header.Known != KnownHeader.Other || !Ascii.EqualsIgnoreCase(request.Name(header), "sec-websocket-extensions"u8))
            {
                continue;
            }
            var list = request.Value(header);
            foreach (var range in list.Split((byte)','))
            {
                var offer = list[range];
                var parameters = offer.IndexOf((byte)';');
                if (Ascii.EqualsIgnoreCase((parameters < 0 ? offer : offer[..parameters]).Trim(" \t"u8), extensionName))
                {
                    return true;
                }
            }
        }
        return false;
    }

    /// <summary>The value of the one header named <paramref name="name"/>; false when there is none or more than one.</summary>
    private static bool FindSingle(MessageHead head, ReadOnlySpan<byte> name, out ReadOnlySpan<byte> value)
    {
        value = default;
        var found = false;
        foreach (ref readonly var header in head.Headers)
        {
            if (header.Known == KnownHeader.Other && Ascii.EqualsIgnoreCase(head.Name(header), name))
            {
                if (found)
                {
                    return false;
                }
                found = true;
                value = head.Value(header).Trim(" \t"u8);
            }
        }
        return found;
    }
}
