using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using BenchmarkDotNet.Attributes;
using FastGate.Core.WebSockets;

namespace FastGate.Benchmarks;

/// <summary>
/// Checking WebSocket frames as the tunnel does: each direction's bytes in 16 KiB reads, validated in place.
/// The bar is copy speed (<see cref="Copy64KiBMaskedText"/> copies the same bytes once); nothing may be allocated.
/// Bytes per stream: small text 1,000 frames of ~110 bytes; the 64 KiB streams 16 frames each (1 MiB).
/// </summary>
[MemoryDiagnoser]
public class WebSocketFrameValidatorBenchmark
{
    private const int ReadBytes = 16 * 1024;
    private const int LargeFrameBytes = 64 * 1024;
    private const int LargeFrames = 16;
    private const int SmallFrames = 1000;

    private static readonly WebSocketLimits Limits = WebSocketLimits.Default;

    private byte[] _smallMaskedText = [];
    private byte[] _largeBinary = [];
    private byte[] _largeMaskedBinary = [];
    private byte[] _largeMaskedText = [];
    private byte[] _copyTarget = [];
    private ReadOnlySequence<byte> _smallMaskedTextSegments;

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(6455);
        var small = new List<byte>();
        for (int i = 0; i < SmallFrames; i++)
        {
            // A chat message as a browser sends it: short JSON, masked with a fresh key per frame.
            string json = $"{{\"type\":\"message\",\"id\":{i},\"text\":\"Bonjour, ça va ? message {i} \u2192 ok\"}}";
            small.AddRange(Frame(0x1, Encoding.UTF8.GetBytes(json), masked: true, (uint)random.Next()));
        }

        _smallMaskedText = [.. small];
        _smallMaskedTextSegments = Segments(_smallMaskedText, 4096);

        byte[] binary = new byte[LargeFrameBytes];
        random.NextBytes(binary);
        _largeBinary = Repeat(Frame(0x2, binary, masked: false, 0), LargeFrames);
        _largeMaskedBinary = Repeat(Frame(0x2, binary, masked: true, 0x1A2B3C4D), LargeFrames);

        var text = new StringBuilder(LargeFrameBytes);
        while (Encoding.UTF8.GetByteCount(text.ToString()) < LargeFrameBytes - 64)
        {
            text.Append("The gateway checks every frame at close to copy speed; déjà vu → 日本語 ✓. ");
        }

        byte[] textBytes = Encoding.UTF8.GetBytes(text.ToString());
        _largeMaskedText = Repeat(Frame(0x1, textBytes, masked: true, 0x1A2B3C4D), LargeFrames);
        _copyTarget = new byte[_largeMaskedText.Length];

        foreach (byte[] stream in new[] { _smallMaskedText, _largeBinary, _largeMaskedBinary, _largeMaskedText })
        {
            if (Validate(stream, fromClient: stream != _largeBinary) != WebSocketFrameStatus.Ok)
            {
                throw new InvalidOperationException("A benchmark stream is not valid.");
            }
        }
    }

    /// <summary>The bar: one copy of the 64 KiB masked text stream, in the same 16 KiB reads.</summary>
    [Benchmark(Baseline = true)]
    public int Copy64KiBMaskedText()
    {
        byte[] source = _largeMaskedText;
        for (int offset = 0; offset < source.Length; offset += ReadBytes)
        {
            int length = Math.Min(ReadBytes, source.Length - offset);
            source.AsSpan(offset, length).CopyTo(_copyTarget.AsSpan(offset));
        }

        return _copyTarget[^1];
    }

    /// <summary>Client to server: 1,000 small masked text frames, unmasked into a stack buffer and UTF-8 checked.</summary>
    [Benchmark]
    public WebSocketFrameStatus SmallMaskedText() => Validate(_smallMaskedText, fromClient: true);

    /// <summary>The same small frames as a multi-segment sequence (4 KiB segments, frames cut anywhere).</summary>
    [Benchmark]
    public WebSocketFrameStatus SmallMaskedTextSegments()
    {
        var validator = new WebSocketFrameValidator(Limits, fromClient: true, compressionNegotiated: false);
        return validator.Validate(_smallMaskedTextSegments);
    }

    /// <summary>Server to client: 64 KiB binary frames; the payload is never read.</summary>
    [Benchmark]
    public WebSocketFrameStatus Binary64KiB() => Validate(_largeBinary, fromClient: false);

    /// <summary>Client to server: 64 KiB masked binary frames; not unmasked, since nothing needs the payload.</summary>
    [Benchmark]
    public WebSocketFrameStatus MaskedBinary64KiB() => Validate(_largeMaskedBinary, fromClient: true);

    /// <summary>Client to server: 64 KiB masked text frames, unmasked chunk by chunk and UTF-8 checked.</summary>
    [Benchmark]
    public WebSocketFrameStatus MaskedText64KiB() => Validate(_largeMaskedText, fromClient: true);

    private static WebSocketFrameStatus Validate(byte[] stream, bool fromClient)
    {
        var validator = new WebSocketFrameValidator(Limits, fromClient, compressionNegotiated: false);
        WebSocketFrameStatus status = WebSocketFrameStatus.Ok;
        for (int offset = 0; offset < stream.Length && status == WebSocketFrameStatus.Ok; offset += ReadBytes)
        {
            status = validator.Validate(stream.AsSpan(offset, Math.Min(ReadBytes, stream.Length - offset)));
        }

        return status;
    }

    private static byte[] Frame(int opcode, byte[] payload, bool masked, uint maskKey)
    {
        var frame = new List<byte>(payload.Length + 14) { (byte)(0x80 | opcode) };
        int maskBit = masked ? 0x80 : 0;
        if (payload.Length < 126)
        {
            frame.Add((byte)(maskBit | payload.Length));
        }
        else if (payload.Length <= ushort.MaxValue)
        {
            frame.Add((byte)(maskBit | 126));
            frame.Add((byte)(payload.Length >> 8));
            frame.Add((byte)payload.Length);
        }
        else
        {
            frame.Add((byte)(maskBit | 127));
            for (int shift = 56; shift >= 0; shift -= 8)
            {
                frame.Add((byte)((long)payload.Length >> shift));
            }
        }

        byte[] key = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(key, maskKey);
        if (masked)
        {
            frame.AddRange(key);
        }

        for (int i = 0; i < payload.Length; i++)
        {
            frame.Add(masked ? (byte)(payload[i] ^ key[i & 3]) : payload[i]);
        }

        return [.. frame];
    }

    private static byte[] Repeat(byte[] frame, int count) => Enumerable.Repeat(frame, count).SelectMany(f => f).ToArray();

    private static ReadOnlySequence<byte> Segments(byte[] data, int segmentBytes)
    {
        var first = new Segment(data.AsMemory(0, Math.Min(segmentBytes, data.Length)), 0);
        Segment last = first;
        for (int offset = segmentBytes; offset < data.Length; offset += segmentBytes)
        {
            last = last.Append(data.AsMemory(offset, Math.Min(segmentBytes, data.Length - offset)));
        }

        return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
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
