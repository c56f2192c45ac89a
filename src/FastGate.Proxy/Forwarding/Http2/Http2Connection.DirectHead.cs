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
    // The last proxied head's block, copied for the next head that is the same (Http2RepeatedHead).
    private readonly Http2RepeatedHead _lastHead = new();

    /// <summary>
    /// The final response head of a proxied exchange as HEADERS (worker thread): the end-to-end
    /// fields of <paramref name="head"/> less those <paramref name="edits"/> drop, then the edits'
    /// own, and a content-length of <paramref name="contentLength"/> (-1: none, the body's end is
    /// END_STREAM; <see cref="KeepUpstreamLength"/>: the upstream's). Returns the encoded size.
    /// </summary>
    internal int SendProxiedHead(Http2Stream stream, int status, ResponseHead head, HeaderEdits? edits, long contentLength, bool endStream)
    {
        var customTokens = head.HasCustomConnectionTokens();
        int size;
        using (_guard.Enter())
        {
            if (edits is null && RepeatsLastHead(status, head, contentLength, customTokens))
            {
                if (stream.Reset || stream.Closed)
                {
                    return 0;
                }
                _encoded.Clear();
                _encoded.Write(_lastHead.Block);
            }
            else
            {
                var versionBefore = _encoder.TableVersion;
                if (!BeginHeadLocked(stream, status))
                {
                    return 0;
                }
                if (edits is null)
                {
                    _lastHead.BeginRecord();
                }
                foreach (ref readonly var field in head.Headers)
                {
                    if (!Forwards(head, field, customTokens, contentLength))
                    {
                        continue;
                    }
                    var name = head.Name(field);
                    if (edits is not null && edits.Drops(name))
                    {
                        continue;
                    }
                    var value = head.Value(field);
                    _encoder.Encode(_encoded, name, value, name.Length == 10 && System.Text.Ascii.EqualsIgnoreCase(name, "set-cookie"u8));
                    if (edits is null)
                    {
                        _lastHead.RecordField(name, value);
                    }
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
                else
                {
                    _lastHead.EndRecord(status, contentLength, versionBefore, _encoder.TableVersion, _encoded.WrittenSpan);
                }
            }
            size = _encoded.Length;
            QueueHeadLocked(stream, endStream);
        }
        AfterHead(stream, endStream);
        return size;
    }

    // RFC 9113 §8.2.2: connection-specific fields stay on their hop; the upstream's length only when kept.
    private static bool Forwards(ResponseHead head, in HeaderEntry field, bool customTokens, long contentLength) =>
        !ForwardedFields.IsHopByHop(head, field, customTokens)
        && !(field.Known == KnownHeader.ContentLength && contentLength != KeepUpstreamLength);

    // The head's status, forwarded fields and length are the last one's, kept with the table as it is now.
    private bool RepeatsLastHead(int status, ResponseHead head, long contentLength, bool customTokens)
    {
        if (!_lastHead.BeginMatch(status, contentLength, _encoder.TableVersion))
        {
            return false;
        }
        foreach (ref readonly var field in head.Headers)
        {
            if (Forwards(head, field, customTokens, contentLength) && !_lastHead.MatchField(head.Name(field), head.Value(field)))
            {
                return false;
            }
        }
        return _lastHead.EndMatch();
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
