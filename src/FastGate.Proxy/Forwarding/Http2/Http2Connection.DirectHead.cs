using System.Buffers.Text;
using FastGate.Core.Buffers;
using FastGate.Core.Http;
using FastGate.Core.Http2;

namespace FastGate.Proxy.Forwarding.Http2;

// Response heads handed over by the stream's worker as they are (status, the upstream's head,
// the route's edits), HPACK-encoded here: no HTTP/1.1 text written, searched and parsed again.
public sealed partial class Http2Connection
{
    /// <summary>The upstream's Content-Length field goes out as it came (HEAD, 304: the size of the representation).</summary>
    internal const long KeepUpstreamLength = -2;

    // The route's added and set response fields as HTTP/1.1 lines, encoded from there (under the guard).
    private readonly PooledByteBuffer _editLines = new();

    /// <summary>
    /// The final response head of a proxied exchange as HEADERS (worker thread): the end-to-end
    /// fields of <paramref name="head"/> less those <paramref name="edits"/> drop, then the edits'
    /// own, and a content-length of <paramref name="contentLength"/> (-1: none, the body's end is
    /// END_STREAM; <see cref="KeepUpstreamLength"/>: the upstream's). Returns the encoded size.
    /// </summary>
    internal int SendProxiedHead(Http2Stream stream, int status, ResponseHead head, HeaderEdits? edits, long contentLength, bool endStream)
    {
        var customTokens = HasCustomConnectionTokens(head);
        int size;
        using (_guard.Enter())
        {
            if (!BeginHeadLocked(stream, status))
            {
                return 0;
            }
            foreach (ref readonly var field in head.Headers)
            {
                // RFC 9113 §8.2.2: connection-specific fields stay on their hop.
                if (ForwardedFields.IsHopByHop(head, field, customTokens)
                    || (field.Known == KnownHeader.ContentLength && contentLength != KeepUpstreamLength))
                {
                    continue;
                }
                var name = head.Name(field);
                if (edits is not null && edits.Drops(name))
                {
                    continue;
                }
                _encoder.Encode(_encoded, name, head.Value(field), name.Length == 10 && System.Text.Ascii.EqualsIgnoreCase(name, "set-cookie"u8));
            }
            if (contentLength >= 0)
            {
                Span<byte> digits = stackalloc byte[20];
                Utf8Formatter.TryFormat(contentLength, digits, out var written);
                _encoder.Encode(_encoded, "content-length"u8, digits[..written]);
            }
            if (edits is not null)
            {
                _editLines.Clear();
                var lines = new BufferWriter<PooledByteBuffer>(_editLines);
                edits.WriteFields(ref lines);
                lines.Commit();
                EncodeTrailerLines(_editLines.WrittenSpan);
            }
            size = _encoded.Length;
            QueueHeadLocked(stream, endStream);
        }
        AfterHead(stream, endStream);
        return size;
    }

    // MessageHead.HasCustomConnectionTokens, without splitting the list when the Connection field is
    // one plain token (an HTTP/1.1 upstream's "keep-alive" or "close" on nearly every response).
    private static bool HasCustomConnectionTokens(ResponseHead head)
    {
        foreach (ref readonly var field in head.Headers)
        {
            if (field.Known != KnownHeader.Connection)
            {
                continue;
            }
            var value = head.Value(field);
            if (!System.Text.Ascii.EqualsIgnoreCase(value, "keep-alive"u8) && !System.Text.Ascii.EqualsIgnoreCase(value, "close"u8))
            {
                return head.HasCustomConnectionTokens();
            }
        }
        return false;
    }

    /// <summary>
    /// A gRPC call answered here (Http1ProxyConnection.Grpc.cs), trailers-only: one HEADERS with
    /// :status 200, content-type, grpc-status and grpc-message, and END_STREAM. Returns the encoded size.
    /// </summary>
    internal int SendGrpcAnswer(Http2Stream stream, int grpcStatus, ReadOnlySpan<byte> grpcMessage)
    {
        int size;
        using (_guard.Enter())
        {
            if (!BeginHeadLocked(stream, 200))
            {
                return 0;
            }
            _encoder.Encode(_encoded, "content-type"u8, "application/grpc"u8);
            Span<byte> digits = stackalloc byte[11];
            Utf8Formatter.TryFormat(grpcStatus, digits, out var written);
            _encoder.Encode(_encoded, "grpc-status"u8, digits[..written]);
            _encoder.Encode(_encoded, "grpc-message"u8, grpcMessage);
            size = _encoded.Length;
            QueueHeadLocked(stream, endStream: true);
        }
        AfterHead(stream, endStream: true);
        return size;
    }
}
