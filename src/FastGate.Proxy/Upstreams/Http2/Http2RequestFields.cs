using System.Buffers;
using FastGate.Core.HPack;
using FastGate.Core.Http;

namespace FastGate.Proxy.Upstreams.Http2;

/// <summary>
/// The request head the upstream leg wrote as HTTP/1.1 text, parsed, and encoded as an HTTP/2
/// header block (RFC 9113 §8.3.1): :method, :scheme, :authority from Host, :path from the target,
/// then the fields lowercased, without the connection-specific ones (§8.2.2), with
/// <c>te: trailers</c> for gRPC, whose servers refuse a request without it.
/// </summary>
internal sealed class Http2RequestFields
{
    public RequestHead Head { get; } = new();

    /// <summary>The request is gRPC (content-type application/grpc*).</summary>
    public bool IsGrpc { get; private set; }

    /// <summary>Notes what the parsed head means for the translation.</summary>
    public void Parsed()
    {
        IsGrpc = false;
        foreach (ref readonly var header in Head.Headers)
        {
            if (header.Known == KnownHeader.Other && System.Text.Ascii.EqualsIgnoreCase(Head.Name(header), "content-type"u8))
            {
                var value = Head.Value(header);
                IsGrpc = value.Length >= 16 && System.Text.Ascii.EqualsIgnoreCase(value[..16], "application/grpc"u8);
            }
        }
    }

    public void Encode(HPackEncoder encoder, IBufferWriter<byte> block, bool tls)
    {
        var head = Head;
        encoder.Encode(block, ":method"u8, head.MethodBytes);
        encoder.Encode(block, ":scheme"u8, tls ? "https"u8 : "http"u8);
        if (head.HostLength > 0)
        {
            encoder.Encode(block, ":authority"u8, head.Host);
        }
        encoder.Encode(block, ":path"u8, head.TargetLength > 0 ? head.Target : "/"u8);
        var customConnectionTokens = head.HasCustomConnectionTokens();
        foreach (ref readonly var header in head.Headers)
        {
            switch (header.Known)
            {
                case KnownHeader.Host:
                case KnownHeader.Connection:
                case KnownHeader.KeepAlive:
                case KnownHeader.ProxyConnection:
                case KnownHeader.TransferEncoding:
                case KnownHeader.Upgrade:
                case KnownHeader.Te:
                    continue;
            }
            var name = head.Name(header);
            if (customConnectionTokens && header.Known == KnownHeader.Other && head.IsNamedByConnection(name))
            {
                continue;
            }
            encoder.Encode(block, name, head.Value(header));
        }
        if (IsGrpc)
        {
            encoder.Encode(block, "te"u8, "trailers"u8);
        }
    }

    /// <summary>Encodes chunked trailer lines ("name: value\r\n"...) as a trailer block, names lowercased, connection-specific ones dropped.</summary>
    public static void EncodeTrailerLines(HPackEncoder encoder, IBufferWriter<byte> block, ReadOnlySpan<byte> lines)
    {
        while (!lines.IsEmpty)
        {
            var end = lines.IndexOf("\r\n"u8);
            var line = end < 0 ? lines : lines[..end];
            lines = end < 0 ? default : lines[(end + 2)..];
            var colon = line.IndexOf((byte)':');
            if (colon <= 0)
            {
                continue;
            }
            var name = line[..colon];
            var value = HttpChars.TrimOws(line[(colon + 1)..]);
            if (System.Text.Ascii.EqualsIgnoreCase(name, "transfer-encoding"u8) || System.Text.Ascii.EqualsIgnoreCase(name, "content-length"u8)
                || System.Text.Ascii.EqualsIgnoreCase(name, "connection"u8) || System.Text.Ascii.EqualsIgnoreCase(name, "host"u8))
            {
                continue;
            }
            encoder.Encode(block, name, value);
        }
    }
}
