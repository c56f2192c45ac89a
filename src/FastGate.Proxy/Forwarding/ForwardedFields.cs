using System.Buffers;
using FastGate.Core.Buffers;
using FastGate.Core.Http;
using FastGate.Core.Http1;

namespace FastGate.Proxy.Forwarding;

/// <summary>Which fields of a message cross the proxy, and how one is written, in either direction.</summary>
internal static class ForwardedFields
{
    /// <summary>
    /// Fields that describe one connection (RFC 9110 §7.6.1), and any the message's Connection
    /// header names: they stay on their hop, in either direction.
    /// </summary>
    public static bool IsHopByHop(MessageHead head, in HeaderEntry header, bool customConnectionTokens) =>
        header.Known is KnownHeader.Connection or KnownHeader.KeepAlive or KnownHeader.ProxyConnection
            or KnownHeader.Te or KnownHeader.Trailer or KnownHeader.TransferEncoding or KnownHeader.Upgrade
        || (header.Known == KnownHeader.Other && customConnectionTokens && head.IsNamedByConnection(head.Name(header)));

    /// <summary>An X-Client-Cert-* field: what the proxy says of a TLS client's certificate, never taken from a client.</summary>
    public static bool IsClientCertificateField(ReadOnlySpan<byte> name) =>
        name.Length > 14 && System.Text.Ascii.EqualsIgnoreCase(name[..14], "x-client-cert-"u8);

    public static void Write<T>(ref BufferWriter<T> w, MessageHead head, in HeaderEntry header) where T : IBufferWriter<byte>
    {
        w.Write(head.Name(header));
        w.Write(": "u8);
        w.Write(head.Value(header));
        w.Write("\r\n"u8);
    }
}
