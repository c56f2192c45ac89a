using FastGate.Core.Http;
using FastGate.Core.Http1;

namespace FastGate.Proxy.Forwarding;

// The response head of an HTTP/2 stream's exchange goes to the stream as it is (status, the
// upstream's head, the route's edits), which HPACK-encodes it: written as HTTP/1.1 text it would
// only be searched for and parsed again on the other side of the bridge.
public sealed partial class Http1ProxyConnection
{
    /// <summary>
    /// <see cref="WriteResponseHead"/> for an HTTP/2 stream: false when the head must go as text
    /// after all: bytes of an earlier answer are still unflushed in the bridge, which the stream
    /// must see first, or the stream is an extended CONNECT, whose answer the stream judges
    /// itself (a 2xx that is no switch is refused there with 502; Http2Stream.Tunnel.cs).
    /// </summary>
    private bool TryWriteResponseHeadToHttp2Stream(ResponseHead response, bool noBody, Http1BodyFraming framing, bool chunkToClient)
    {
        if (HasUnflushedOutput || _http2Owner!.IsTunnel)
        {
            return false;
        }
        var status = response.StatusCode;
        if (_exchange.ResponseStatusOverride is var overridden and > 0)
        {
            status = overridden;
            _exchange.Status = overridden;
        }
        var length = !noBody && framing == Http1BodyFraming.ContentLength ? response.ContentLength : -1;
        _exchange.BytesOut += _http2Owner!.SendProxiedHead(status, response, _exchange.ResponseEdits, noBody, length, chunkToClient);
        return true;
    }

    private bool HasUnflushedOutput => _output.CanGetUnflushedBytes && _output.UnflushedBytes > 0;

    /// <summary><see cref="WriteGrpcAnswer"/> for an HTTP/2 stream: one trailers-only HEADERS, handed to the stream (false as above).</summary>
    private bool TryWriteGrpcAnswerToHttp2Stream(int status)
    {
        if (HasUnflushedOutput)
        {
            return false;
        }
        // "fastgate 503 Service Unavailable": grpc-message is percent-encoded text, and a reason phrase needs no escaping.
        Span<byte> message = stackalloc byte[64];
        "fastgate "u8.CopyTo(message);
        var length = 9;
        System.Buffers.Text.Utf8Formatter.TryFormat(status, message[length..], out var digits);
        length += digits;
        message[length++] = (byte)' ';
        var reason = Http1StatusResponses.ReasonPhraseUtf8(status);
        reason = reason[..Math.Min(reason.Length, message.Length - length)];
        reason.CopyTo(message[length..]);
        length += reason.Length;
        _exchange.BytesOut += _http2Owner!.SendGrpcAnswer(GrpcStatusFor(status), message[..length]);
        return true;
    }
}
