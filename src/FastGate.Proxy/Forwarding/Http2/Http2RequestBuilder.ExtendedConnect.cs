using System.Buffers;
using System.Buffers.Text;
using System.Security.Cryptography;
using FastGate.Core.Buffers;

namespace FastGate.Proxy.Forwarding.Http2;

// Extended CONNECT (RFC 8441): a WebSocket opened on a stream. It is written into the bridge as
// the HTTP/1.1 upgrade a browser would send (RFC 6455 §4.1), so the front's WebSocket path checks
// it, forwards it and runs the frames exactly as for an HTTP/1.1 client.
internal sealed partial class Http2RequestBuilder
{
    private const int ProtocolBit = 16;

    /// <summary>We announced SETTINGS_ENABLE_CONNECT_PROTOCOL: a CONNECT may carry :protocol.</summary>
    public bool ConnectProtocolEnabled { get; set; }

    /// <summary>A CONNECT with :protocol (valid once <see cref="CheckRequest"/> said so).</summary>
    public bool IsExtendedConnect => (_used & ProtocolBit) != 0 && IsConnect;

    /// <summary>The :protocol asks for a WebSocket (RFC 8441 §4: the upgrade token, compared as HTTP compares tokens).</summary>
    public bool IsWebSocket => System.Text.Ascii.EqualsIgnoreCase(Pseudo(_protocol), "websocket"u8);

    /// <summary>
    /// RFC 8441 §4: an extended CONNECT names its target as any request does, with :scheme, :path
    /// and :authority; without SETTINGS_ENABLE_CONNECT_PROTOCOL it is malformed (§3).
    /// </summary>
    private string? CheckExtendedConnect()
    {
        if (!ConnectProtocolEnabled)
        {
            return ":protocol without SETTINGS_ENABLE_CONNECT_PROTOCOL";
        }
        if ((_used & 2) == 0 || _scheme.Length == 0 || _authority.Length == 0 || _path.Length == 0)
        {
            return "extended CONNECT without :scheme, :path or :authority";
        }
        return Pseudo(_path)[0] == (byte)'/' ? null : ":path not in origin form";
    }

    /// <summary>
    /// RFC 8441 §5: Sec-WebSocket-Key and -Accept are not used over HTTP/2. A key the client sent
    /// anyway would stand beside the one we make, and two keys are a bad upgrade: it is dropped.
    /// </summary>
    private bool DropsForTunnel(ReadOnlySpan<byte> name) =>
        (_used & ProtocolBit) != 0 && name.Length == 17 && name.SequenceEqual("sec-websocket-key"u8);

    /// <summary>
    /// The extended CONNECT as an HTTP/1.1 upgrade (RFC 8441 §5): <c>GET :path</c>, Host from
    /// :authority, the client's fields (Sec-WebSocket-Version, -Protocol, -Extensions, Origin, ...),
    /// <c>Upgrade: websocket</c>, <c>Connection: Upgrade</c> and a key of our own, which the front
    /// checks the upstream's Sec-WebSocket-Accept against. No body framing: after the 101 the
    /// stream's DATA are the WebSocket's bytes.
    /// </summary>
    private void WriteWebSocketRequest(IBufferWriter<byte> output)
    {
        var w = new BufferWriter<IBufferWriter<byte>>(output);
        // :authority is required on an extended CONNECT, so the head always has its Host.
        WriteHeadStart(ref w, "GET"u8);
        // RFC 6455 §4.1: 16 random bytes, base64 (24 characters).
        Span<byte> nonce = stackalloc byte[16];
        RandomNumberGenerator.Fill(nonce);
        Span<byte> key = stackalloc byte[24];
        Base64.EncodeToUtf8(nonce, key, out _, out _);
        w.Write("upgrade: websocket\r\nconnection: Upgrade\r\nsec-websocket-key: "u8);
        w.Write(key);
        w.Write("\r\n\r\n"u8);
        w.Commit();
    }
}
