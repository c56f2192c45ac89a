using System.Buffers;
using System.Buffers.Text;
using BenchmarkDotNet.Attributes;
using FastGate.Core.HPack;

namespace FastGate.Benchmarks;

/// <summary>
/// HPACK on the hot path: decoding a browser's first two requests on a connection (the second one mostly
/// dynamic table hits, cookies and paths Huffman-coded), and encoding a typical response head whose request
/// id changes every time (so the encoder's table keeps evicting). Nothing may be allocated.
/// </summary>
[MemoryDiagnoser]
public class HPackBenchmark
{
    private const string Cookie = "session=8f14e45fceea167a5a36dedd4bea2543; _ga=GA1.2.1098765432.1700000000; theme=dark";

    private static readonly (string, string)[] FirstRequest =
    [
        (":method", "GET"), (":authority", "www.example.com"), (":scheme", "https"), (":path", "/"),
        ("sec-ch-ua", "\"Chromium\";v=\"131\", \"Not_A Brand\";v=\"24\""), ("sec-ch-ua-mobile", "?0"),
        ("sec-ch-ua-platform", "\"Linux\""), ("upgrade-insecure-requests", "1"),
        ("user-agent", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"),
        ("accept", "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"),
        ("sec-fetch-site", "none"), ("sec-fetch-mode", "navigate"), ("sec-fetch-user", "?1"), ("sec-fetch-dest", "document"),
        ("accept-encoding", "gzip, deflate, br, zstd"), ("accept-language", "en-US,en;q=0.9"), ("cookie", Cookie),
    ];

    private static readonly (string, string)[] SecondRequest =
    [
        (":method", "GET"), (":authority", "www.example.com"), (":scheme", "https"), (":path", "/static/app.3f2a1c9e.js"),
        ("sec-ch-ua-platform", "\"Linux\""),
        ("user-agent", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"),
        ("sec-ch-ua", "\"Chromium\";v=\"131\", \"Not_A Brand\";v=\"24\""), ("sec-ch-ua-mobile", "?0"), ("accept", "*/*"),
        ("sec-fetch-site", "same-origin"), ("sec-fetch-mode", "no-cors"), ("sec-fetch-dest", "script"),
        ("referer", "https://www.example.com/"), ("accept-encoding", "gzip, deflate, br, zstd"),
        ("accept-language", "en-US,en;q=0.9"), ("cookie", Cookie),
    ];

    private readonly HPackDecoder _decoder = new();
    private readonly HPackBlocks.CountingSink _sink = new();
    private readonly HPackEncoder _encoder = new();
    private readonly ArrayBufferWriter<byte> _output = new(4096);
    private byte[] _firstBlock = [];
    private byte[] _secondBlock = [];
    private long _requestId;

    [GlobalSetup]
    public void Setup()
    {
        var encoder = new HPackEncoder();
        // The first block starts with size updates to 0 and back to 4096: they empty the decoder's table,
        // so every benchmark call decodes the two blocks against the same table, as a new connection does.
        _firstBlock = [0x20, 0x3F, 0xE1, 0x1F, .. HPackBlocks.Encode(encoder, FirstRequest)];
        _secondBlock = HPackBlocks.Encode(encoder, SecondRequest);
        if (DecodeTwoRequests() != FirstRequest.Length + SecondRequest.Length)
        {
            throw new InvalidOperationException("The benchmark blocks do not decode.");
        }

        Console.WriteLine($"// request blocks: {_firstBlock.Length} + {_secondBlock.Length} bytes");
        EncodeResponseHead();
        Console.WriteLine($"// response head block: {_output.WrittenCount} bytes");
    }

    /// <summary>A connection's first two requests (17 + 16 fields): literals the first time, table hits after.</summary>
    [Benchmark]
    public int DecodeTwoRequests()
    {
        _sink.Fields = 0;
        _decoder.Decode(_firstBlock, _sink);
        _decoder.Decode(_secondBlock, _sink);
        return _sink.Fields;
    }

    /// <summary>A response head of 10 fields, one of them (x-request-id) new every time.</summary>
    [Benchmark]
    public int EncodeResponseHead()
    {
        ArrayBufferWriter<byte> output = _output;
        output.ResetWrittenCount();
        _encoder.BeginBlock(output);
        _encoder.EncodeStatus(output, 200);
        _encoder.Encode(output, "content-type"u8, "text/html; charset=utf-8"u8);
        _encoder.Encode(output, "content-length"u8, "5123"u8);
        _encoder.Encode(output, "date"u8, "Thu, 03 Dec 2026 09:41:07 GMT"u8);
        _encoder.Encode(output, "server"u8, "fastgate"u8);
        _encoder.Encode(output, "cache-control"u8, "private, max-age=0"u8);
        _encoder.Encode(output, "vary"u8, "accept-encoding"u8);
        _encoder.Encode(output, "strict-transport-security"u8, "max-age=31536000; includeSubDomains"u8);
        _encoder.Encode(output, "set-cookie"u8, "session=8f14e45fceea167a5a36dedd4bea2543; Path=/; Secure; HttpOnly"u8);
        Span<byte> id = stackalloc byte[20];
        Utf8Formatter.TryFormat(++_requestId, id, out int written, new StandardFormat('X', 16));
        _encoder.Encode(output, "x-request-id"u8, id[..written]);
        return output.WrittenCount;
    }
}
