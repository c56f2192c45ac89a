using FastGate.Core.Buffers;
using FastGate.Core.Http1;

namespace FastGate.Proxy.Forwarding;

/// <summary>
/// Trailers on the stage path. Body stages see the decoded body only; a response's trailer
/// section (gRPC's grpc-status and grpc-message, from an HTTP/2 upstream's trailing HEADERS or an
/// HTTP/1.1 upstream's chunked trailers) is kept aside as it is decoded and written after what
/// the stages let through (and what the response-end stages add), so a stage that rewrites the
/// body does not turn a gRPC call's outcome into a missing status.
/// </summary>
public sealed partial class Http1ProxyConnection
{
    /// <summary>The trailer lines of the response on the stage path, for its end.</summary>
    private PooledByteBuffer? _stageTrailers;

    /// <summary>Collects the decoded body for the stages, and the trailer lines aside.</summary>
    private struct StageBodySink(PooledByteBuffer body, PooledByteBuffer trailers) : IHttp1BodySink
    {
        /// <summary>The body ended after a trailer section (its lines are in the trailers buffer).</summary>
        public bool EndedWithTrailers;

        public readonly void Data(ReadOnlySpan<byte> data) => body.Write(data);

        public readonly void Trailers(ReadOnlySpan<byte> fieldLines, bool first)
        {
            if (first)
            {
                trailers.Clear();
            }
            trailers.Write(fieldLines);
        }

        public readonly void End()
        {
        }

        public void EndAfterTrailers() => EndedWithTrailers = true;
    }

    /// <summary>Ends the client's body: with the upstream's trailer section when it had one, else plainly.</summary>
    private void EndWithTrailers<TWriter>(ref Http1BodyWriter<TWriter> writer, bool withTrailers) where TWriter : System.Buffers.IBufferWriter<byte>
    {
        if (!withTrailers)
        {
            writer.End();
            return;
        }
        writer.Trailers(_stageTrailers!.WrittenSpan, first: true);
        writer.EndAfterTrailers();
    }

    private void ReleaseStageTrailers() => _stageTrailers?.Release();
}
