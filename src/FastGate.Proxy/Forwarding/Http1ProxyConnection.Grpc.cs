using System.IO.Pipelines;
using FastGate.Core.Buffers;
using FastGate.Core.Http;
using FastGate.Core.Http1;

namespace FastGate.Proxy.Forwarding;

/// <summary>
/// gRPC requests answered by FastGate itself (no route, auth, rate limit, upstream down or late):
/// a gRPC client reads the call's outcome from grpc-status, not from the HTTP status, and takes
/// a non-200 status as a transport failure without the reason. So such an answer goes out as a
/// gRPC "trailers-only" response (gRPC over HTTP/2 protocol spec): HTTP 200, content-type
/// application/grpc, grpc-status and grpc-message, no body. Over the HTTP/2 front that is one
/// HEADERS frame with END_STREAM. The access log and metrics keep FastGate's own status.
/// </summary>
public sealed partial class Http1ProxyConnection
{
    /// <summary>The request's content-type is application/grpc (or application/grpc+proto, ...).</summary>
    private bool IsGrpcRequest()
    {
        var request = _request;
        foreach (ref readonly var header in request.Headers)
        {
            if (header.Known == KnownHeader.Other && System.Text.Ascii.EqualsIgnoreCase(request.Name(header), "content-type"u8))
            {
                var value = request.Value(header);
                return value.Length >= 16 && System.Text.Ascii.EqualsIgnoreCase(value[..16], "application/grpc"u8)
                    && (value.Length == 16 || value[16] is (byte)'+' or (byte)';');
            }
        }
        return false;
    }

    /// <summary>The gRPC status code (grpc/doc/statuscodes.md, http-grpc-status-mapping.md) for an HTTP status FastGate answers with.</summary>
    internal static int GrpcStatusFor(int status) => status switch
    {
        400 => 13,
        401 => 16,
        403 => 7,
        404 => 12,
        429 => 8,
        502 or 503 => 14,
        504 => 4,
        _ => 13,
    };

    /// <summary>Writes the trailers-only gRPC answer for a local <paramref name="status"/> (400 and up).</summary>
    private void WriteGrpcAnswer(int status, bool close)
    {
        if (_http2Stream && TryWriteGrpcAnswerToHttp2Stream(status))
        {
            return;
        }
        var w = new BufferWriter<PipeWriter>(_output);
        w.Write("HTTP/1.1 200 OK\r\ncontent-type: application/grpc\r\ngrpc-status: "u8);
        w.WriteDecimal(GrpcStatusFor(status));
        // grpc-message is percent-encoded text; a reason phrase needs no escaping (space is allowed as is).
        w.Write("\r\ngrpc-message: fastgate "u8);
        w.WriteDecimal(status);
        w.Write((byte)' ');
        w.Write(Http1StatusResponses.ReasonPhraseUtf8(status));
        w.Write("\r\ncontent-length: 0\r\n"u8);
        EndHead(ref w, close);
        _exchange.BytesOut += w.Buffered;
        w.Commit();
    }

    /// <summary>
    /// What is left of the client's deadline from grpc-timeout (gRPC over HTTP/2: 1-8 digits and
    /// a unit, H M S m u n), counted from when the request came, in Stopwatch ticks (0 or less:
    /// passed); long.MaxValue when the request has none or it is malformed. A response not begun
    /// by then is answered DEADLINE_EXCEEDED rather than waited for in vain.
    /// </summary>
    private long GrpcTimeoutTicks()
    {
        var deadline = _exchange.GrpcDeadline;
        return deadline == long.MaxValue ? deadline : deadline - System.Diagnostics.Stopwatch.GetTimestamp();
    }

    /// <summary>
    /// Before a try goes upstream: the client's grpc-timeout has run out here (queue, retries,
    /// connects), so the call is answered DEADLINE_EXCEEDED (a 504) without sending it. Null
    /// while time is left; the upstream then gets what is left (<see cref="UpstreamLeg"/>).
    /// </summary>
    private IoOperation? AnswerIfGrpcDeadlinePassed()
    {
        if (GrpcTimeoutTicks() > 0)
        {
            return null;
        }
        Disarm();
        return AnswerLocal(504, _closeOnLocal);
    }
}
