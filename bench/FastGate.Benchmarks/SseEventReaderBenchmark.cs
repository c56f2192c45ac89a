using System.Text;
using BenchmarkDotNet.Attributes;
using FastGate.Core.Sse;

namespace FastGate.Benchmarks;

/// <summary>
/// Framing an OpenAI-style chat completion stream (one small delta per event, then "data: [DONE]") as a proxy sees it:
/// the body in 1 KiB reads, split anywhere, every event read. Must allocate nothing once the reader is warm.
/// </summary>
[MemoryDiagnoser]
public class SseEventReaderBenchmark
{
    private const int Events = 256;
    private const int PieceBytes = 1024;

    private static readonly string[] Words =
    [
        "Hello", "!", " How", " can", " I", " help", " you", " today", "?", " The", " proxy", " forwards",
        " each", " token", " as", " soon", " as", " it", " arrives", ",", " without", " waiting", ".", "\\n",
    ];

    private readonly SseEventReader _reader = new();
    private byte[] _lf = [];
    private byte[] _crLf = [];

    [GlobalSetup]
    public void Setup()
    {
        _lf = Stream("\n");
        _crLf = Stream("\r\n");
        Read(_lf, PieceBytes);
    }

    [GlobalCleanup]
    public void Cleanup() => _reader.Release();

    /// <summary>The stream as OpenAI sends it (LF line ends), in 1 KiB pieces.</summary>
    [Benchmark(Baseline = true)]
    public long ChatStream1KiBPieces() => Read(_lf, PieceBytes);

    /// <summary>CRLF line ends: a piece may end between the CR and the LF.</summary>
    [Benchmark]
    public long ChatStreamCrLf1KiBPieces() => Read(_crLf, PieceBytes);

    /// <summary>The whole body in one piece: the cost of framing alone.</summary>
    [Benchmark]
    public long ChatStreamWhole() => Read(_lf, int.MaxValue);

    private long Read(byte[] body, int pieceBytes)
    {
        SseEventReader reader = _reader;
        reader.Reset();
        long total = 0;
        for (int offset = 0; offset < body.Length; offset += pieceBytes)
        {
            reader.Append(body.AsSpan(offset, Math.Min(pieceBytes, body.Length - offset)));
            while (reader.TryRead(out SseEvent e))
            {
                total += e.Data.Length;
            }
        }
        return total;
    }

    private static byte[] Stream(string eol)
    {
        var body = new StringBuilder();
        for (int i = 0; i < Events; i++)
        {
            body.Append("data: {\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1733130000,")
                .Append("\"model\":\"gpt-4o-mini\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"")
                .Append(Words[i % Words.Length])
                .Append("\"},\"finish_reason\":null}]}").Append(eol).Append(eol);
        }
        body.Append("data: [DONE]").Append(eol).Append(eol);
        return Encoding.UTF8.GetBytes(body.ToString());
    }
}
