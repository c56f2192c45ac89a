using System.Buffers.Binary;

namespace FastGate.Functional.Tests.Http2Conformance;

/// <summary>
/// Builds frames byte by byte, with no check of any rule: the length field, the flags, the
/// reserved bit and the payload are whatever a test asks for, so malformed frames are as easy
/// to write as good ones.
/// </summary>
public static class H2FrameBuilder
{
    public static readonly byte[] Preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"u8.ToArray();

    /// <summary>A frame whose length field says <paramref name="length"/> whatever the payload's real length.</summary>
    public static byte[] Raw(int length, byte type, byte flags, uint streamId, ReadOnlySpan<byte> payload, bool reservedBit = false)
    {
        var frame = new byte[9 + payload.Length];
        frame[0] = (byte)(length >> 16);
        frame[1] = (byte)(length >> 8);
        frame[2] = (byte)length;
        frame[3] = type;
        frame[4] = flags;
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(5), (streamId & 0x7fffffff) | (reservedBit ? 0x80000000u : 0));
        payload.CopyTo(frame.AsSpan(9));
        return frame;
    }

    public static byte[] Frame(byte type, byte flags, uint streamId, ReadOnlySpan<byte> payload) => Raw(payload.Length, type, flags, streamId, payload);

    public static byte[] Data(uint streamId, ReadOnlySpan<byte> data, bool endStream) =>
        Frame(H2Type.DATA, endStream ? H2Flag.END_STREAM : (byte)0, streamId, data);

    public static byte[] Data(uint streamId, string data, bool endStream) => Data(streamId, System.Text.Encoding.ASCII.GetBytes(data), endStream);

    public static byte[] DataPadded(uint streamId, ReadOnlySpan<byte> data, int padLength, bool endStream)
    {
        var payload = new byte[1 + data.Length + padLength];
        payload[0] = (byte)padLength;
        data.CopyTo(payload.AsSpan(1));
        return Frame(H2Type.DATA, (byte)(H2Flag.PADDED | (endStream ? H2Flag.END_STREAM : 0)), streamId, payload);
    }

    /// <summary>HEADERS with optional padding and priority fields.</summary>
    public static byte[] Headers(uint streamId, ReadOnlySpan<byte> block, bool endStream, bool endHeaders = true, int padLength = -1, (uint Dependency, bool Exclusive, byte Weight)? priority = null)
    {
        var flags = (byte)((endStream ? H2Flag.END_STREAM : 0) | (endHeaders ? H2Flag.END_HEADERS : 0));
        var payload = new List<byte>();
        if (padLength >= 0)
        {
            flags |= H2Flag.PADDED;
            payload.Add((byte)padLength);
        }
        if (priority is { } p)
        {
            flags |= H2Flag.PRIORITY;
            payload.AddRange(PriorityFields(p.Dependency, p.Exclusive, p.Weight));
        }
        payload.AddRange(block.ToArray());
        if (padLength > 0)
        {
            payload.AddRange(new byte[padLength]);
        }
        return Frame(H2Type.HEADERS, flags, streamId, payload.ToArray());
    }

    public static byte[] Priority(uint streamId, uint dependency, bool exclusive, byte weight) =>
        Frame(H2Type.PRIORITY, 0, streamId, PriorityFields(dependency, exclusive, weight));

    private static byte[] PriorityFields(uint dependency, bool exclusive, byte weight)
    {
        var fields = new byte[5];
        BinaryPrimitives.WriteUInt32BigEndian(fields, (dependency & 0x7fffffff) | (exclusive ? 0x80000000u : 0));
        fields[4] = weight;
        return fields;
    }

    public static byte[] RstStream(uint streamId, uint errorCode)
    {
        var payload = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(payload, errorCode);
        return Frame(H2Type.RST_STREAM, 0, streamId, payload);
    }

    public static byte[] RstStream(uint streamId, H2Error error) => RstStream(streamId, (uint)error);

    public static byte[] Settings(params (ushort Id, uint Value)[] settings)
    {
        var payload = new byte[settings.Length * 6];
        for (var i = 0; i < settings.Length; i++)
        {
            BinaryPrimitives.WriteUInt16BigEndian(payload.AsSpan(i * 6), settings[i].Id);
            BinaryPrimitives.WriteUInt32BigEndian(payload.AsSpan(i * 6 + 2), settings[i].Value);
        }
        return Frame(H2Type.SETTINGS, 0, 0, payload);
    }

    public static byte[] SettingsAck() => Frame(H2Type.SETTINGS, H2Flag.ACK, 0, []);

    public static byte[] PushPromise(uint streamId, uint promisedStreamId, ReadOnlySpan<byte> block, bool endHeaders = true)
    {
        var payload = new byte[4 + block.Length];
        BinaryPrimitives.WriteUInt32BigEndian(payload, promisedStreamId & 0x7fffffff);
        block.CopyTo(payload.AsSpan(4));
        return Frame(H2Type.PUSH_PROMISE, endHeaders ? H2Flag.END_HEADERS : (byte)0, streamId, payload);
    }

    public static byte[] Ping(ReadOnlySpan<byte> opaque8, bool ack = false) => Frame(H2Type.PING, ack ? H2Flag.ACK : (byte)0, 0, opaque8);

    public static byte[] GoAway(uint lastStreamId, uint errorCode, ReadOnlySpan<byte> debug = default)
    {
        var payload = new byte[8 + debug.Length];
        BinaryPrimitives.WriteUInt32BigEndian(payload, lastStreamId & 0x7fffffff);
        BinaryPrimitives.WriteUInt32BigEndian(payload.AsSpan(4), errorCode);
        debug.CopyTo(payload.AsSpan(8));
        return Frame(H2Type.GOAWAY, 0, 0, payload);
    }

    public static byte[] WindowUpdate(uint streamId, uint increment)
    {
        var payload = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(payload, increment);
        return Frame(H2Type.WINDOW_UPDATE, 0, streamId, payload);
    }

    public static byte[] Continuation(uint streamId, ReadOnlySpan<byte> block, bool endHeaders) =>
        Frame(H2Type.CONTINUATION, endHeaders ? H2Flag.END_HEADERS : (byte)0, streamId, block);

    public static byte[] Concat(params byte[][] parts)
    {
        var total = 0;
        foreach (var part in parts)
        {
            total += part.Length;
        }
        var all = new byte[total];
        var at = 0;
        foreach (var part in parts)
        {
            part.CopyTo(all, at);
            at += part.Length;
        }
        return all;
    }
}
