using System.Buffers;
using FastGate.Core.Http2;
using static FastGate.Core.Tests.Http2.Http2TestHelpers;

namespace FastGate.Core.Tests.Http2;

/// <summary>Every frame type written by the writer and read back by the reader, whole and cut into segments.</summary>
public class Http2FrameRoundTripTests
{
    private const int MaxFrameSize = 16_384;

    [Fact]
    public void Data_RoundTrip_SameStreamDataAndEndStream()
    {
        byte[] bytes = Write(o => Http2FrameWriter.WriteData(o, 0x7FFF_FFFF, "payload"u8, endStream: true));

        foreach (byte[] payload in ReadEveryWay(bytes, Http2FrameType.Data, Http2Flags.EndStream, 0x7FFF_FFFF))
        {
            Assert.Equal(Http2ErrorCode.NoError, Http2FrameReader.ParseData(Header(bytes), payload, out ReadOnlySpan<byte> data));
            Assert.Equal("payload"u8.ToArray(), data.ToArray());
        }
    }

    [Fact]
    public void Headers_RoundTrip_FragmentAndFlags()
    {
        byte[] bytes = Write(o => Http2FrameWriter.WriteHeaders(o, 1, Hex("82868441"), endStream: false, MaxFrameSize));

        foreach (byte[] payload in ReadEveryWay(bytes, Http2FrameType.Headers, Http2Flags.EndHeaders, 1))
        {
            Assert.Equal(Http2ErrorCode.NoError, Http2FrameReader.ParseHeaders(Header(bytes), payload, out ReadOnlySpan<byte> fragment, out _));
            Assert.Equal("82868441", ToHex(fragment));
        }
    }

    [Fact]
    public void HeadersWithContinuations_RoundTrip_BlockReassembled()
    {
        byte[] block = new byte[40_000];
        new Random(9113).NextBytes(block);
        byte[] bytes = Write(o => Http2FrameWriter.WriteHeaders(o, 3, block, endStream: true, MaxFrameSize));
        var input = Segments(bytes, 100, 16_000, 16_500, 33_000);
        var reassembled = new List<byte>();
        var frames = new List<Http2FrameHeader>();

        while (Http2FrameReader.TryRead(input, MaxFrameSize, out Http2FrameHeader header, out ReadOnlySequence<byte> payload, out SequencePosition consumed) == Http2ReadStatus.Frame)
        {
            frames.Add(header);
            byte[] bytesOfPayload = payload.ToArray();
            ReadOnlySpan<byte> fragment = bytesOfPayload;
            if (header.Type == Http2FrameType.Headers)
            {
                Assert.Equal(Http2ErrorCode.NoError, Http2FrameReader.ParseHeaders(header, bytesOfPayload, out fragment, out _));
            }
            else
            {
                Assert.Equal(Http2ErrorCode.NoError, Http2FrameReader.ParseContinuation(header, bytesOfPayload));
            }

            reassembled.AddRange(fragment.ToArray());
            input = input.Slice(consumed);
        }

        Assert.Equal(0, input.Length);
        Assert.Equal(
            [
                new Http2FrameHeader(16_384, Http2FrameType.Headers, Http2Flags.EndStream, 3),
                new Http2FrameHeader(16_384, Http2FrameType.Continuation, Http2Flags.None, 3),
                new Http2FrameHeader(7_232, Http2FrameType.Continuation, Http2Flags.EndHeaders, 3),
            ],
            frames);
        Assert.Equal(block, reassembled.ToArray());
    }

    [Fact]
    public void Priority_RoundTrip_Accepted()
    {
        byte[] bytes = Write(o => Http2FrameWriter.WritePriority(o, 5, 3, exclusive: true, 200));

        foreach (byte[] payload in ReadEveryWay(bytes, Http2FrameType.Priority, Http2Flags.None, 5))
        {
            Assert.Equal(Http2ErrorCode.NoError, Http2FrameReader.ParsePriority(Header(bytes), payload, out bool streamError));
            Assert.False(streamError);
            Assert.Equal("80000003C8", ToHex(payload));
        }
    }

    [Fact]
    public void RstStream_RoundTrip_Code()
    {
        byte[] bytes = Write(o => Http2FrameWriter.WriteRstStream(o, 7, Http2ErrorCode.RefusedStream));

        foreach (byte[] payload in ReadEveryWay(bytes, Http2FrameType.RstStream, Http2Flags.None, 7))
        {
            Assert.Equal(Http2ErrorCode.NoError, Http2FrameReader.ParseRstStream(Header(bytes), payload, out Http2ErrorCode code));
            Assert.Equal(Http2ErrorCode.RefusedStream, code);
        }
    }

    [Fact]
    public void Settings_RoundTrip_Parameters()
    {
        Http2Setting[] settings =
        [
            new(Http2SettingId.HeaderTableSize, 0),
            new(Http2SettingId.EnablePush, 0),
            new(Http2SettingId.MaxConcurrentStreams, 128),
            new(Http2SettingId.InitialWindowSize, 1 << 20),
            new(Http2SettingId.MaxFrameSize, 16_777_215),
            new(Http2SettingId.MaxHeaderListSize, 32_768),
            new(Http2SettingId.EnableConnectProtocol, 1),
        ];
        byte[] bytes = Write(o => Http2FrameWriter.WriteSettings(o, settings));

        foreach (byte[] payload in ReadEveryWay(bytes, Http2FrameType.Settings, Http2Flags.None, 0))
        {
            Assert.Equal(Http2ErrorCode.NoError, Http2FrameReader.ParseSettings(Header(bytes), payload));
            Assert.Equal(settings.Length, payload.Length / 6);
            for (int i = 0; i < settings.Length; i++)
            {
                Assert.Equal(settings[i], Http2FrameReader.Setting(payload, i));
            }
        }
    }

    [Fact]
    public void SettingsAck_RoundTrip_AckNoPayload()
    {
        byte[] bytes = Write(Http2FrameWriter.WriteSettingsAck);

        foreach (byte[] payload in ReadEveryWay(bytes, Http2FrameType.Settings, Http2Flags.Ack, 0))
        {
            Assert.Equal(Http2ErrorCode.NoError, Http2FrameReader.ParseSettings(Header(bytes), payload));
            Assert.Empty(payload);
        }
    }

    [Fact]
    public void PushPromise_RoundTrip_PromisedIdAndFragment()
    {
        byte[] bytes = Write(o => Http2FrameWriter.WritePushPromise(o, 1, 4, Hex("8287"), MaxFrameSize));

        foreach (byte[] payload in ReadEveryWay(bytes, Http2FrameType.PushPromise, Http2Flags.EndHeaders, 1))
        {
            Assert.Equal(Http2ErrorCode.NoError, Http2FrameReader.ParsePushPromise(Header(bytes), payload, out int promised, out ReadOnlySpan<byte> fragment));
            Assert.Equal(4, promised);
            Assert.Equal("8287", ToHex(fragment));
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Ping_RoundTrip_SameOpaque(bool ack)
    {
        byte[] bytes = Write(o => Http2FrameWriter.WritePing(o, 0xFEDC_BA98_7654_3210, ack));

        foreach (byte[] payload in ReadEveryWay(bytes, Http2FrameType.Ping, ack ? Http2Flags.Ack : Http2Flags.None, 0))
        {
            Assert.Equal(Http2ErrorCode.NoError, Http2FrameReader.ParsePing(Header(bytes), payload, out ulong opaque));
            Assert.Equal(0xFEDC_BA98_7654_3210UL, opaque);
        }
    }

    [Fact]
    public void GoAway_RoundTrip_LastStreamCodeAndDebugData()
    {
        byte[] bytes = Write(o => Http2FrameWriter.WriteGoAway(o, 41, Http2ErrorCode.EnhanceYourCalm, "rapid_reset"u8));

        foreach (byte[] payload in ReadEveryWay(bytes, Http2FrameType.GoAway, Http2Flags.None, 0))
        {
            Assert.Equal(Http2ErrorCode.NoError, Http2FrameReader.ParseGoAway(Header(bytes), payload, out int last, out Http2ErrorCode code, out ReadOnlySpan<byte> debug));
            Assert.Equal(41, last);
            Assert.Equal(Http2ErrorCode.EnhanceYourCalm, code);
            Assert.Equal("rapid_reset"u8.ToArray(), debug.ToArray());
        }
    }

    [Fact]
    public void WindowUpdate_RoundTrip_Increment()
    {
        byte[] bytes = Write(o => Http2FrameWriter.WriteWindowUpdate(o, 3, 1_000_000));

        foreach (byte[] payload in ReadEveryWay(bytes, Http2FrameType.WindowUpdate, Http2Flags.None, 3))
        {
            Assert.Equal(Http2ErrorCode.NoError, Http2FrameReader.ParseWindowUpdate(Header(bytes), payload, out int increment, out _));
            Assert.Equal(1_000_000, increment);
        }
    }

    [Fact]
    public void UnknownType_WrittenByHeader_ReadBackUnchanged()
    {
        byte[] bytes = Write(o =>
        {
            Http2FrameWriter.WriteHeader(o, 3, (Http2FrameType)0x42, (Http2Flags)0x80, 9);
            o.Write("ext"u8);
        });

        foreach (byte[] payload in ReadEveryWay(bytes, (Http2FrameType)0x42, (Http2Flags)0x80, 9))
        {
            Assert.Equal("ext"u8.ToArray(), payload);
        }
    }

    /// <summary>
    /// Reads the one frame in <paramref name="bytes"/> from one segment, from two at every cut and from one
    /// byte per segment; checks its header and the consumed position each time and yields its payload.
    /// </summary>
    private static IEnumerable<byte[]> ReadEveryWay(byte[] bytes, Http2FrameType type, Http2Flags flags, int streamId)
    {
        var inputs = new List<ReadOnlySequence<byte>> { OneSegment(bytes), BytePerSegment(bytes) };
        for (int cut = 0; cut <= bytes.Length; cut++)
        {
            inputs.Add(Segments(bytes, cut));
        }

        foreach (ReadOnlySequence<byte> input in inputs)
        {
            Assert.Equal(Http2ReadStatus.Frame, Http2FrameReader.TryRead(input, MaxFrameSize, out Http2FrameHeader header, out ReadOnlySequence<byte> payload, out SequencePosition consumed));
            Assert.Equal(new Http2FrameHeader(bytes.Length - 9, type, flags, streamId), header);
            Assert.Equal(input.End, consumed);
            yield return payload.ToArray();
        }
    }

    private static Http2FrameHeader Header(byte[] bytes)
    {
        Http2FrameReader.TryRead(OneSegment(bytes), MaxFrameSize, out Http2FrameHeader header, out _, out _);
        return header;
    }
}
