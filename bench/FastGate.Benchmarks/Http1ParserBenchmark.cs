using System.Buffers;
using System.Text;
using BenchmarkDotNet.Attributes;
using FastGate.Core.Http;
using FastGate.Core.Http1;

namespace FastGate.Benchmarks;

/// <summary>Head parsing and chunked decoding on realistic inputs; every method must allocate nothing.</summary>
[MemoryDiagnoser]
public class Http1ParserBenchmark
{
    private const int MaxHead = 32 * 1024;
    private const int MaxStartLine = 8 * 1024;
    private const int MaxHeaders = 100;

    private static readonly byte[] RequestBytes = Encoding.ASCII.GetBytes(
        "GET /api/v2/catalog/items?category=books&sort=price&page=3 HTTP/1.1\r\n" +
        "Host: shop.example.com\r\n" +
        "User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0\r\n" +
        "Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8\r\n" +
        "Accept-Language: en-US,en;q=0.5\r\n" +
        "Accept-Encoding: gzip, deflate, br\r\n" +
        "Referer: https://shop.example.com/catalog\r\n" +
        "Connection: keep-alive\r\n" +
        "Cookie: session=3f2a9c1b7d; theme=dark; consent=1\r\n" +
        "Upgrade-Insecure-Requests: 1\r\n" +
        "\r\n");

    private static readonly byte[] ResponseBytes = Encoding.ASCII.GetBytes(
        "HTTP/1.1 200 OK\r\n" +
        "Date: Tue, 01 Jul 2025 10:00:00 GMT\r\n" +
        "Content-Type: application/json; charset=utf-8\r\n" +
        "Content-Length: 1234\r\n" +
        "Cache-Control: private, max-age=0\r\n" +
        "Vary: Accept-Encoding\r\n" +
        "Server: origin\r\n" +
        "\r\n");

    private readonly RequestHead _request = new();
    private readonly ResponseHead _response = new();
    private ReadOnlySequence<byte> _single;
    private ReadOnlySequence<byte> _multi;
    private byte[] _chunkedBody = [];

    [GlobalSetup]
    public void Setup()
    {
        _single = new ReadOnlySequence<byte>(RequestBytes);
        int third = RequestBytes.Length / 3;
        var first = new Segment(RequestBytes.AsMemory(0, third), 0);
        var last = first.Append(RequestBytes.AsMemory(third, third)).Append(RequestBytes.AsMemory(2 * third));
        _multi = new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
        _request.Buffer = RequestBytes;
        _request.Length = RequestBytes.Length;
        _response.Buffer = ResponseBytes;
        _response.Length = ResponseBytes.Length;

        // 16 KiB body in 4 KiB chunks.
        var body = new MemoryStream();
        var chunk = new byte[4096];
        new Random(1).NextBytes(chunk);
        for (int i = 0; i < 4; i++)
        {
            body.Write("1000\r\n"u8);
            body.Write(chunk);
            body.Write("\r\n"u8);
        }
        body.Write("0\r\n\r\n"u8);
        _chunkedBody = body.ToArray();
    }

    // Requests go through the scan the proxy uses (resumable, request line judged at its CRLF), from a fresh state:
    // the head arrived in one read.
    [Benchmark(Baseline = true)]
    public int RequestSingleSegment()
    {
        var state = default(Http1HeadScanState);
        Http1Parser.TryFindRequestHeadEnd(_single, ref state, MaxHead, MaxStartLine, out int length, out _);
        return (int)Http1Parser.ParseRequest(_request, MaxHeaders) + length;
    }

    [Benchmark]
    public int RequestMultiSegment()
    {
        var state = default(Http1HeadScanState);
        Http1Parser.TryFindRequestHeadEnd(_multi, ref state, MaxHead, MaxStartLine, out int length, out _);
        return (int)Http1Parser.ParseRequest(_request, MaxHeaders) + length;
    }

    [Benchmark]
    public int Response()
    {
        Http1Parser.TryFindHeadEnd(new ReadOnlySequence<byte>(ResponseBytes), MaxHead, MaxStartLine, out int length, out _);
        return (int)Http1Parser.ParseResponse(_response, MaxHeaders) + length;
    }

    // The proxy's path for a head that arrived whole in one read: found and parsed in one pass, into a head whose
    // ranges point at the read buffer (the proxy then copies the head out, as the two-step path does before parsing).
    [Benchmark]
    public int RequestOnePass()
    {
        Http1Parser.TryParseRequestHead(RequestBytes, _request, MaxHead, MaxStartLine, MaxHeaders, out int length);
        return length;
    }

    [Benchmark]
    public int ResponseOnePass()
    {
        Http1Parser.TryParseResponseHead(ResponseBytes, _response, MaxHead, MaxHeaders, out int length);
        return length;
    }

    [Benchmark]
    public long Chunked16KiB()
    {
        var decoder = new Http1ChunkedDecoder();
        ReadOnlySpan<byte> input = _chunkedBody;
        long total = 0;
        while (true)
        {
            Http1ChunkStatus status = decoder.Read(input, out int consumed, out _, out int dataLength);
            input = input[consumed..];
            total += dataLength;
            if (status != Http1ChunkStatus.Data)
            {
                return status == Http1ChunkStatus.Complete ? total : -1;
            }
        }
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }
}
