using System.Buffers;
using System.Text;
using BenchmarkDotNet.Attributes;
using FastGate.Core.Http1;
using FastGate.Core.Sse;

namespace FastGate.Benchmarks;

/// <summary>
/// The plain path of an SSE stream whose upstream sends a chunk per event, as the mock origin of
/// the sse-stream scenario does (id, event and a 32-byte data line): one read of 80 such chunks
/// passed on with their framing (<see cref="Http1ChunkedRelay"/>), the event boundary followed over
/// each chunk's data (<see cref="SseBoundary"/>). Must allocate nothing.
/// </summary>
[MemoryDiagnoser]
public class SseChunkRelayBenchmark
{
    private const int EventsPerRead = 80;

    private readonly ArrayBufferWriter<byte> _output = new(64 * 1024);
    private ReadOnlySequence<byte> _read;
    private Http1ChunkedRelay _relay;

    [GlobalSetup]
    public void Setup()
    {
        var body = new StringBuilder();
        for (var i = 1; i <= EventsPerRead; i++)
        {
            var number = i.ToString(System.Globalization.CultureInfo.InvariantCulture);
            var data = number + " " + new string('x', 32 - number.Length - 1);
            var evt = $"id: {number}\nevent: tick\ndata: {data}\n\n";
            body.Append(Encoding.ASCII.GetByteCount(evt).ToString("x")).Append("\r\n").Append(evt).Append("\r\n");
        }
        _read = new ReadOnlySequence<byte>(Encoding.ASCII.GetBytes(body.ToString()));
        _relay.Reset();
    }

    /// <summary>One read relayed: the chunks checked and copied, the boundary followed over each chunk's data.</summary>
    [Benchmark]
    public bool RelayRead()
    {
        _output.ResetWrittenCount();
        var sink = new BoundaryTracker(SseBoundary.Start);
        _relay.Relay(_read, _output, ref sink, untilChunkStart: false, out _, out _);
        return sink.Boundary.AtBoundary;
    }

    /// <summary>Follows the event boundary over the data the relay passes, as the proxy's plain SSE path does.</summary>
    private struct BoundaryTracker(SseBoundary boundary) : IHttp1BodySink
    {
        public SseBoundary Boundary = boundary;

        public void Data(ReadOnlySpan<byte> data) => Boundary.Advance(data);

        public readonly void Trailers(ReadOnlySpan<byte> fieldLines, bool first)
        {
        }

        public readonly void End()
        {
        }

        public readonly void EndAfterTrailers()
        {
        }
    }
}
