using System.Buffers;
using BenchmarkDotNet.Attributes;
using FastGate.Core.HPack;

namespace FastGate.Benchmarks;

/// <summary>
/// HPACK with many connections' tables in use at once (h2load's 64 connections of one stream): each
/// connection has its own decoder (its requests) and encoder (its responses), used round-robin, so by
/// the time a connection's next request comes, the other connections' tables have pushed its own out
/// of the nearer caches. One operation is what one request costs the gateway: decoding an h2load
/// request head (every field but :method/:scheme/:path a dynamic table hit) and encoding the response
/// head (every field a hit but <c>date</c>, which changes now and then and is then added anew).
/// With <see cref="Connections"/> = 1 the same tables stay in cache: the difference is the cost of
/// the misses. Nothing may be allocated.
/// </summary>
[MemoryDiagnoser]
public class HPackColdTablesBenchmark
{
    // One benchmark call serves this many requests, spread over the connections in turn.
    private const int RequestsPerCall = 256;

    // The response's date changes once per this many requests of all connections (a second's worth
    // of requests at a few hundred thousand per second would be more; this keeps eviction in the mix).
    private const int RequestsPerDate = 4096;

    private static readonly (string, string)[] Request =
    [
        (":method", "GET"), (":scheme", "http"), (":authority", "127.0.0.1:18380"), (":path", "/"),
        ("user-agent", "h2load nghttp2/1.64.0"), ("accept", "*/*"), ("x-bench-run", "h2c"),
    ];

    private HPackDecoder[] _decoders = [];
    private HPackEncoder[] _encoders = [];
    private byte[][] _requestBlocks = [];
    private readonly HPackBlocks.CountingSink _sink = new();
    private readonly ArrayBufferWriter<byte> _output = new(4096);
    private readonly byte[] _date = "Sat, 05 Dec 2026 14:20:00 GMT"u8.ToArray();
    private int _next;
    private int _requests;

    /// <summary>How many connections' coders are used in turn.</summary>
    [Params(1, 64, 256, 1024)]
    public int Connections { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _decoders = new HPackDecoder[Connections];
        _encoders = new HPackEncoder[Connections];
        _requestBlocks = new byte[Connections][];
        for (int c = 0; c < Connections; c++)
        {
            // The client's first request indexes its fields; from the second on they are table hits.
            var client = new HPackEncoder();
            _decoders[c] = new HPackDecoder();
            _encoders[c] = new HPackEncoder();
            _decoders[c].Decode(HPackBlocks.Encode(client, Request), _sink);
            _requestBlocks[c] = HPackBlocks.Encode(client, Request);
            EncodeResponse(_encoders[c]);
        }

        Serve();
        if (_sink.Fields != RequestsPerCall * Request.Length)
        {
            throw new InvalidOperationException("The request blocks do not decode.");
        }

        Console.WriteLine($"// request block: {_requestBlocks[0].Length} bytes, response block: {_output.WrittenCount} bytes");
    }

    /// <summary>One request's HPACK work (decode its head, encode its response's head), connections in turn.</summary>
    [Benchmark(OperationsPerInvoke = RequestsPerCall)]
    public int Serve()
    {
        int connections = Connections;
        int next = _next;
        int bytes = 0;
        _sink.Fields = 0;
        for (int i = 0; i < RequestsPerCall; i++)
        {
            if (++_requests % RequestsPerDate == 0)
            {
                // The next second: one digit of the date changes.
                _date[24] = (byte)('0' + (_date[24] - '0' + 1) % 10);
            }

            _decoders[next].Decode(_requestBlocks[next], _sink);
            bytes += EncodeResponse(_encoders[next]);
            if (++next == connections)
            {
                next = 0;
            }
        }

        _next = next;
        return _sink.Fields + bytes;
    }

    private int EncodeResponse(HPackEncoder encoder)
    {
        ArrayBufferWriter<byte> output = _output;
        output.ResetWrittenCount();
        encoder.BeginBlock(output);
        encoder.EncodeStatus(output, 200);
        encoder.Encode(output, "content-type"u8, "text/plain"u8);
        encoder.Encode(output, "content-length"u8, "1024"u8);
        encoder.Encode(output, "date"u8, _date);
        encoder.Encode(output, "server"u8, "mock-upstream"u8);
        encoder.Encode(output, "cache-control"u8, "no-cache"u8);
        return output.WrittenCount;
    }
}
