using System.Buffers.Binary;
using System.Text;

namespace FastGate.Functional.Tests.Http2Conformance;

/// <summary>
/// One frame the server sent. A HEADERS frame and the CONTINUATION frames that end its block
/// arrive as one HEADERS frame here, with the block decoded (<see cref="Fields"/>).
/// </summary>
public sealed class H2Frame(byte type, byte flags, uint streamId, byte[] payload)
{
    public byte Type { get; } = type;
    public byte Flags { get; } = flags;
    public uint StreamId { get; } = streamId;
    public byte[] Payload { get; } = payload;

    /// <summary>The decoded header block of a HEADERS frame (null for other frames, or when it could not be decoded).</summary>
    public IReadOnlyList<(string Name, string Value)>? Fields { get; init; }

    /// <summary>Why the block could not be decoded, if it could not.</summary>
    public string? DecodeError { get; init; }

    /// <summary>CONTINUATION frames that carried the rest of this HEADERS frame's block.</summary>
    public int Continuations { get; init; }

    public bool Has(byte flag) => (Flags & flag) != 0;
    public bool EndStream => Type is H2Type.DATA or H2Type.HEADERS && Has(H2Flag.END_STREAM);
    public bool IsAck => Type is H2Type.SETTINGS or H2Type.PING && Has(H2Flag.ACK);

    /// <summary>The error code of a RST_STREAM or GOAWAY.</summary>
    public H2Error ErrorCode => Type switch
    {
        H2Type.RST_STREAM when Payload.Length >= 4 => (H2Error)BinaryPrimitives.ReadUInt32BigEndian(Payload),
        H2Type.GOAWAY when Payload.Length >= 8 => (H2Error)BinaryPrimitives.ReadUInt32BigEndian(Payload.AsSpan(4)),
        _ => throw new InvalidOperationException($"{this} carries no error code"),
    };

    /// <summary>The last stream id of a GOAWAY.</summary>
    public uint LastStreamId => BinaryPrimitives.ReadUInt32BigEndian(Payload) & 0x7fffffff;

    /// <summary>The payload of a DATA frame without its padding.</summary>
    public ReadOnlySpan<byte> Data
    {
        get
        {
            if (!Has(H2Flag.PADDED) || Payload.Length == 0)
            {
                return Payload;
            }
            var pad = Payload[0];
            return Payload.AsSpan(1, Math.Max(0, Payload.Length - 1 - pad));
        }
    }

    public string? Field(string name) => Fields?.FirstOrDefault(f => f.Name == name).Value;

    public IEnumerable<(ushort Id, uint Value)> Settings()
    {
        for (var i = 0; i + 6 <= Payload.Length; i += 6)
        {
            yield return (BinaryPrimitives.ReadUInt16BigEndian(Payload.AsSpan(i)), BinaryPrimitives.ReadUInt32BigEndian(Payload.AsSpan(i + 2)));
        }
    }

    public override string ToString()
    {
        var text = new StringBuilder();
        text.Append(H2Type.Name(Type)).Append("(stream ").Append(StreamId).Append(", flags 0x").Append(Flags.ToString("x2")).Append(", length ").Append(Payload.Length);
        switch (Type)
        {
            case H2Type.RST_STREAM when Payload.Length >= 4:
                text.Append(", ").Append(ErrorCode);
                break;
            case H2Type.GOAWAY when Payload.Length >= 8:
                text.Append(", last stream ").Append(LastStreamId).Append(", ").Append(ErrorCode);
                if (Payload.Length > 8)
                {
                    text.Append(", debug \"").Append(Encoding.ASCII.GetString(Payload, 8, Math.Min(80, Payload.Length - 8))).Append('"');
                }
                break;
            case H2Type.HEADERS when Fields is not null:
                text.Append(", ").Append(string.Join(" ", Fields.Take(6).Select(f => $"{f.Name}: {Clip(f.Value)}")));
                break;
            case H2Type.HEADERS when DecodeError is not null:
                text.Append(", undecodable: ").Append(DecodeError);
                break;
            case H2Type.SETTINGS when !IsAck:
                text.Append(", ").Append(string.Join(" ", Settings().Select(s => $"{s.Id}={s.Value}")));
                break;
        }
        return text.Append(')').ToString();
    }

    private static string Clip(string value) => value.Length <= 40 ? value : value[..40] + "...";
}
