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

    /// <summary>
    /// Collects the decoded body for the stages, and the trailer lines aside. The body goes into
    /// room reserved once per read (what the read holds is an upper bound of what it decodes to),
    /// so a read of many small chunks costs a copy per chunk and no buffer call: a write through
    /// the buffer per chunk was a measured share of the event-stream path (perf, ai-stream c=64).
    /// <see cref="Commit"/> ends the read.
    /// </summary>
    private ref struct StageBodySink : IHttp1BodySink
    {
        /// <summary>Room reserved beyond this for one read, at most; a larger read grows it as it goes.</summary>
        private const int MaxReserve = PooledByteBuffer.RetainLimit;

        private readonly PooledByteBuffer _body;
        private readonly PooledByteBuffer _trailers;
        private Span<byte> _room;
        private int _written;

        /// <summary>The body ended after a trailer section (its lines are in the trailers buffer).</summary>
        public bool EndedWithTrailers;

        public StageBodySink(PooledByteBuffer body, PooledByteBuffer trailers, long readBytes)
        {
            _body = body;
            _trailers = trailers;
            _room = readBytes > 0 ? body.GetSpan((int)Math.Min(readBytes, MaxReserve)) : default;
        }

        public void Data(ReadOnlySpan<byte> data)
        {
            if (data.Length > _room.Length - _written)
            {
                Grow(data.Length);
            }
            data.CopyTo(_room[_written..]);
            _written += data.Length;
        }

        /// <summary>Counts what was written into the body buffer; the sink is not used after.</summary>
        public void Commit()
        {
            _body.Advance(_written);
            _written = 0;
            _room = default;
        }

        private void Grow(int need)
        {
            _body.Advance(_written);
            _written = 0;
            _room = _body.GetSpan(need);
        }

        public readonly void Trailers(ReadOnlySpan<byte> fieldLines, bool first)
        {
            if (first)
            {
                _trailers.Clear();
            }
            _trailers.Write(fieldLines);
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
