using System.Buffers;
using FastGate.Core.Http2;
using static FastGate.Core.Tests.Http2.Http2TestHelpers;

namespace FastGate.Core.Tests.Http2;

/// <summary>
/// Reading and writing frames allocates nothing once warm (the hot-path rule of DESIGN.md): a connection reads
/// every frame a client sends through these methods, so one allocation per frame would be one per request.
/// </summary>
public class Http2AllocationTests
{
    private const int MaxFrameSize = 16_384;
    private const int Rounds = 200;

    [Fact]
    public void ReadAndParse_MixedFramesOneSegment_AllocatesNothing()
    {
        var input = OneSegment(MixedFrames());
        byte[] scratch = new byte[MaxFrameSize];
        Assert.Equal(ExpectedFrames, ReadAll(input, scratch));

        long allocated = Measure(() => ReadAll(input, scratch));

        Assert.Equal(0, allocated);
    }

    [Fact]
    public void ReadAndParse_MixedFramesManySegments_AllocatesNothing()
    {
        byte[] bytes = MixedFrames();
        var cuts = new List<int>();
        for (int cut = 7; cut < bytes.Length; cut += 7)
        {
            cuts.Add(cut);
        }

        ReadOnlySequence<byte> input = Segments(bytes, [.. cuts]);
        byte[] scratch = new byte[MaxFrameSize];
        Assert.Equal(ExpectedFrames, ReadAll(input, scratch));

        long allocated = Measure(() => ReadAll(input, scratch));

        Assert.Equal(0, allocated);
    }

    [Fact]
    public void ReadPreface_AllocatesNothing()
    {
        var input = OneSegment([.. Http2FrameReader.ClientPreface, .. MixedFrames()]);
        ReadOnlySequence<byte> split = Segments(Http2FrameReader.ClientPreface.ToArray(), 5, 17);

        long allocated = Measure(() =>
        {
            bool whole = Http2FrameReader.TryReadPreface(input, out _);
            bool pieces = Http2FrameReader.TryReadPreface(split, out _);
            return whole && pieces ? 1 : 0;
        });

        Assert.Equal(0, allocated);
    }

    [Fact]
    public void Write_DataHeadersWindowUpdateAndControlFrames_AllocatesNothing()
    {
        var output = new ArrayBufferWriter<byte>(256 * 1024);
        byte[] data = new byte[MaxFrameSize];
        byte[] block = new byte[20_000];
        Http2Setting[] settings = [new(Http2SettingId.MaxConcurrentStreams, 128), new(Http2SettingId.InitialWindowSize, 1 << 20)];

        long allocated = Measure(() =>
        {
            output.ResetWrittenCount();
            for (int stream = 1; stream < 40; stream += 2)
            {
                Http2FrameWriter.WriteHeaders(output, stream, block.AsSpan(0, 120), endStream: false, MaxFrameSize);
                Http2FrameWriter.WriteData(output, stream, data, endStream: false);
                Http2FrameWriter.WriteData(output, stream, data.AsSpan(0, 100), endStream: true);
                Http2FrameWriter.WriteWindowUpdate(output, stream, 32_768);
            }

            Http2FrameWriter.WriteHeaders(output, 41, block, endStream: true, MaxFrameSize);
            Http2FrameWriter.WriteWindowUpdate(output, 0, 1 << 20);
            Http2FrameWriter.WriteSettings(output, settings);
            Http2FrameWriter.WriteSettingsAck(output);
            Http2FrameWriter.WritePing(output, 42, ack: true);
            Http2FrameWriter.WriteRstStream(output, 43, Http2ErrorCode.Cancel);
            Http2FrameWriter.WriteGoAway(output, 41, Http2ErrorCode.NoError, "drain"u8);
            return output.WrittenCount;
        });

        Assert.Equal(0, allocated);
    }

    private const int ExpectedFrames = 14;

    /// <summary>What a client sends early in a connection: settings, a window update, requests with bodies, pings and resets.</summary>
    private static byte[] MixedFrames() => Write(o =>
    {
        Http2FrameWriter.WriteSettings(o, [new(Http2SettingId.EnablePush, 0), new(Http2SettingId.InitialWindowSize, 1 << 20)]);
        Http2FrameWriter.WriteWindowUpdate(o, 0, 15 << 20);
        Http2FrameWriter.WriteHeaders(o, 1, new byte[30], endStream: false, MaxFrameSize);
        Http2FrameWriter.WriteData(o, 1, new byte[1000], endStream: false);
        Http2FrameWriter.WriteData(o, 1, new byte[10], endStream: true);
        Http2FrameWriter.WriteHeaders(o, 3, new byte[20_000], endStream: true, MaxFrameSize);
        Http2FrameWriter.WritePriority(o, 5, 3, false, 15);
        Http2FrameWriter.WritePing(o, 7, ack: false);
        Http2FrameWriter.WriteSettingsAck(o);
        Http2FrameWriter.WriteRstStream(o, 3, Http2ErrorCode.Cancel);
        Http2FrameWriter.WriteHeader(o, 0, (Http2FrameType)0xEE, Http2Flags.None, 0);
        Http2FrameWriter.WriteGoAway(o, 0, Http2ErrorCode.NoError, "bye"u8);
        Http2FrameWriter.WriteWindowUpdate(o, 1, 100);
    });

    /// <summary>The connection's read loop in small: each frame found, its payload made one span (copied only when split) and parsed.</summary>
    private static int ReadAll(ReadOnlySequence<byte> input, byte[] scratch)
    {
        int frames = 0;
        while (Http2FrameReader.TryRead(input, MaxFrameSize, out Http2FrameHeader header, out ReadOnlySequence<byte> payload, out SequencePosition consumed) == Http2ReadStatus.Frame)
        {
            ReadOnlySpan<byte> span;
            if (payload.IsSingleSegment)
            {
                span = payload.FirstSpan;
            }
            else
            {
                payload.CopyTo(scratch);
                span = scratch.AsSpan(0, (int)payload.Length);
            }

            Http2ErrorCode error = header.Type switch
            {
                Http2FrameType.Data => Http2FrameReader.ParseData(header, span, out _),
                Http2FrameType.Headers => Http2FrameReader.ParseHeaders(header, span, out _, out _),
                Http2FrameType.Priority => Http2FrameReader.ParsePriority(header, span, out _),
                Http2FrameType.RstStream => Http2FrameReader.ParseRstStream(header, span, out _),
                Http2FrameType.Settings => ParseSettings(header, span),
                Http2FrameType.Ping => Http2FrameReader.ParsePing(header, span, out _),
                Http2FrameType.GoAway => Http2FrameReader.ParseGoAway(header, span, out _, out _, out _),
                Http2FrameType.WindowUpdate => Http2FrameReader.ParseWindowUpdate(header, span, out _, out _),
                Http2FrameType.Continuation => Http2FrameReader.ParseContinuation(header, span),
                _ => Http2ErrorCode.NoError,
            };
            if (error != Http2ErrorCode.NoError)
            {
                throw new InvalidOperationException($"{header.Type}: {error}");
            }

            frames++;
            input = input.Slice(consumed);
        }

        return frames;
    }

    private static Http2ErrorCode ParseSettings(in Http2FrameHeader header, ReadOnlySpan<byte> payload)
    {
        Http2ErrorCode error = Http2FrameReader.ParseSettings(header, payload);
        for (int i = 0; error == Http2ErrorCode.NoError && i < payload.Length / 6; i++)
        {
            _ = Http2FrameReader.Setting(payload, i);
        }

        return error;
    }

    /// <summary>Bytes allocated on this thread by <paramref name="work"/> run <see cref="Rounds"/> times after as many warm-up runs.</summary>
    private static long Measure(Func<int> work)
    {
        int sink = 0;
        for (int i = 0; i < Rounds; i++)
        {
            sink += work();
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < Rounds; i++)
        {
            sink += work();
        }

        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        GC.KeepAlive(sink);
        return allocated;
    }
}
