using System.Buffers;
using System.Text;
using BenchmarkDotNet.Attributes;
using FastGate.Core.Buffers;
using FastGate.Core.Http1;

namespace FastGate.Benchmarks;

/// <summary>
/// The first step of the proxy's stage path on a chunked event stream: one read of an upstream
/// that flushes a chunk per event, as the mock provider of the ai-stream scenario does (68 chunks
/// of ~210-byte events, then the last chunk), decoded by <see cref="Http1BodyReader"/> into a
/// buffer for the stages, and the same read relayed with its framing by
/// <see cref="Http1ChunkedRelay"/>. Figures are per read, i.e. per request. Must allocate nothing.
/// </summary>
[MemoryDiagnoser]
public class ChunkedBodyDecodeBenchmark
{
    private const int Events = 68;

    private readonly PooledByteBuffer _decoded = new();
    private readonly ArrayBufferWriter<byte> _relayed = new(64 * 1024);
    private ReadOnlySequence<byte> _read;
    private Http1BodyReader _reader;
    private Http1ChunkedRelay _relay;

    [GlobalSetup]
    public void Setup()
    {
        var body = new StringBuilder();
        for (var i = 0; i < Events; i++)
        {
            var evt = "data: {\"id\":\"chatcmpl-00000001\",\"object\":\"chat.completion.chunk\",\"created\":1796414945,\"model\":\"m\","
                + "\"choices\":[{\"index\":0,\"delta\":{\"content\":\" tok\"},\"logprobs\":null,\"finish_reason\":null}],\"usage\":null,\"n\":" + i + "}\n\n";
            body.Append(Encoding.ASCII.GetByteCount(evt).ToString("x")).Append("\r\n").Append(evt).Append("\r\n");
        }
        body.Append("0\r\n\r\n");
        _read = new ReadOnlySequence<byte>(Encoding.ASCII.GetBytes(body.ToString()));
        if (Decode() == 0 || Relay() != _read.Length)
        {
            throw new InvalidOperationException("the read did not decode whole");
        }
    }

    [GlobalCleanup]
    public void Cleanup() => _decoded.Release();

    /// <summary>The read decoded into the stages' buffer, as <c>CopyResponseThroughStages</c> does.</summary>
    [Benchmark(Baseline = true)]
    public int Decode()
    {
        _decoded.Clear();
        _reader.Start(Http1BodyFraming.Chunked, -1, long.MaxValue, keepTrailers: true);
        var sink = new BufferSink(_decoded);
        if (_reader.Read(_read, inputEnded: false, ref sink, out _) != Http1CopyStatus.Complete)
        {
            throw new InvalidOperationException("the read did not decode whole");
        }
        return _decoded.Length;
    }

    /// <summary>The read relayed with its framing, as a route without stages passes it.</summary>
    [Benchmark]
    public long Relay()
    {
        _relayed.ResetWrittenCount();
        _relay.Reset();
        var sink = new NoSink();
        _relay.Relay(_read, _relayed, ref sink, untilChunkStart: false, out var consumed, out _);
        return consumed;
    }

    private readonly struct BufferSink(PooledByteBuffer buffer) : IHttp1BodySink
    {
        public void Data(ReadOnlySpan<byte> data) => buffer.Write(data);

        public void Trailers(ReadOnlySpan<byte> fieldLines, bool first)
        {
        }

        public void End()
        {
        }

        public void EndAfterTrailers()
        {
        }
    }

    private readonly struct NoSink : IHttp1BodySink
    {
        public void Data(ReadOnlySpan<byte> data)
        {
        }

        public void Trailers(ReadOnlySpan<byte> fieldLines, bool first)
        {
        }

        public void End()
        {
        }

        public void EndAfterTrailers()
        {
        }
    }
}
