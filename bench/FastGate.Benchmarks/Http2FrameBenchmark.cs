using System.Buffers;
using BenchmarkDotNet.Attributes;
using FastGate.Core.Http2;

namespace FastGate.Benchmarks;

/// <summary>
/// HTTP/2 framing as a connection does it: reading what a client sends (a burst of 64 requests, each HEADERS +
/// DATA + END_STREAM, with SETTINGS, WINDOW_UPDATE, PING and a PRIORITY mixed in; 141 frames, ~80 KiB) and writing
/// responses (HEADERS, 16 KiB and short DATA frames, WINDOW_UPDATE) into a reused buffer writer. Nothing may be
/// allocated. The segmented variant feeds the same bytes as 4 KiB pipe segments, so frames straddle segments and
/// split payloads are copied into a scratch buffer, as the connection does.
/// </summary>
[MemoryDiagnoser]
public class Http2FrameBenchmark
{
    private const int MaxFrameSize = 16_384;
    private const int Requests = 64;

    private readonly ArrayBufferWriter<byte> _output = new(2 * 1024 * 1024);
    private readonly byte[] _scratch = new byte[MaxFrameSize];
    private readonly byte[] _responseBlock = new byte[96];
    private readonly byte[] _body = new byte[MaxFrameSize];
    private ReadOnlySequence<byte> _oneSegment;
    private ReadOnlySequence<byte> _segments;

    [GlobalSetup]
    public void Setup()
    {
        var writer = new ArrayBufferWriter<byte>();
        Http2FrameWriter.WriteSettings(writer, [new(Http2SettingId.EnablePush, 0), new(Http2SettingId.InitialWindowSize, 1 << 20), new(Http2SettingId.MaxHeaderListSize, 65_536)]);
        Http2FrameWriter.WriteWindowUpdate(writer, 0, 15 << 20);
        byte[] requestBlock = new byte[48];
        new Random(9113).NextBytes(requestBlock);
        byte[] body = new byte[1200];
        for (int i = 0; i < Requests; i++)
        {
            int stream = 2 * i + 1;
            Http2FrameWriter.WriteHeaders(writer, stream, requestBlock, endStream: false, MaxFrameSize);
            Http2FrameWriter.WriteData(writer, stream, body, endStream: true);
            if (i % 16 == 0)
            {
                Http2FrameWriter.WritePing(writer, (ulong)i, ack: false);
                Http2FrameWriter.WriteWindowUpdate(writer, 0, 65_536);
            }
        }

        Http2FrameWriter.WritePriority(writer, 3, 1, false, 15);
        Http2FrameWriter.WriteSettingsAck(writer);
        Http2FrameWriter.WriteGoAway(writer, 0, Http2ErrorCode.NoError, default);

        byte[] bytes = writer.WrittenSpan.ToArray();
        _oneSegment = new ReadOnlySequence<byte>(bytes);
        _segments = Segments(bytes, 4096);
        if (ReadAll(_oneSegment) != ReadAll(_segments))
        {
            throw new InvalidOperationException("The segmented stream reads differently.");
        }
    }

    [Benchmark]
    public int ReadMixedFrames() => ReadAll(_oneSegment);

    [Benchmark]
    public int ReadMixedFramesSegmented() => ReadAll(_segments);

    /// <summary>64 responses: HEADERS, one 16 KiB and one short DATA frame with END_STREAM, and a WINDOW_UPDATE each.</summary>
    [Benchmark]
    public int WriteResponses()
    {
        ArrayBufferWriter<byte> output = _output;
        output.ResetWrittenCount();
        for (int i = 0; i < Requests; i++)
        {
            int stream = 2 * i + 1;
            Http2FrameWriter.WriteHeaders(output, stream, _responseBlock, endStream: false, MaxFrameSize);
            Http2FrameWriter.WriteData(output, stream, _body, endStream: false);
            Http2FrameWriter.WriteData(output, stream, _body.AsSpan(0, 512), endStream: true);
            Http2FrameWriter.WriteWindowUpdate(output, 0, 1200);
        }

        return output.WrittenCount;
    }

    private int ReadAll(ReadOnlySequence<byte> input)
    {
        int sum = 0;
        while (Http2FrameReader.TryRead(input, MaxFrameSize, out Http2FrameHeader header, out ReadOnlySequence<byte> payload, out SequencePosition consumed) == Http2ReadStatus.Frame)
        {
            ReadOnlySpan<byte> span;
            if (payload.IsSingleSegment)
            {
                span = payload.FirstSpan;
            }
            else
            {
                payload.CopyTo(_scratch);
                span = _scratch.AsSpan(0, (int)payload.Length);
            }

            switch (header.Type)
            {
                case Http2FrameType.Data:
                    Http2FrameReader.ParseData(header, span, out ReadOnlySpan<byte> data);
                    sum += data.Length;
                    break;
                case Http2FrameType.Headers:
                    Http2FrameReader.ParseHeaders(header, span, out ReadOnlySpan<byte> fragment, out _);
                    sum += fragment.Length;
                    break;
                case Http2FrameType.Settings:
                    Http2FrameReader.ParseSettings(header, span);
                    for (int i = 0; i < span.Length / 6; i++)
                    {
                        sum += (int)Http2FrameReader.Setting(span, i).Value;
                    }

                    break;
                case Http2FrameType.WindowUpdate:
                    Http2FrameReader.ParseWindowUpdate(header, span, out int increment, out _);
                    sum += increment;
                    break;
                case Http2FrameType.Ping:
                    Http2FrameReader.ParsePing(header, span, out ulong opaque);
                    sum += (int)opaque;
                    break;
                case Http2FrameType.Priority:
                    Http2FrameReader.ParsePriority(header, span, out _);
                    break;
                case Http2FrameType.GoAway:
                    Http2FrameReader.ParseGoAway(header, span, out int last, out _, out _);
                    sum += last;
                    break;
            }

            sum++;
            input = input.Slice(consumed);
        }

        return sum;
    }

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
