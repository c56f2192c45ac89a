using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.CompilerServices;

namespace FastGate.Core.ProxyProtocol;

/// <summary>
/// Reads the PROXY protocol header (HAProxy's proxy-protocol.txt, v1 and v2) at the start of a
/// connection. Stateless and incremental: call with everything received so far; it says
/// <see cref="ProxyReadStatus.NeedMore"/> (consume nothing), <see cref="ProxyReadStatus.Done"/>
/// (consume <see cref="ProxyHeader.Length"/> bytes; what follows belongs to the protocol inside),
/// or <see cref="ProxyReadStatus.Invalid"/>. Bytes that cannot begin a header are refused as soon
/// as they arrive, so garbage does not wait for a timeout. Allocates nothing.
/// </summary>
public static class ProxyProtocolReader
{
    /// <summary>The spec's bound on a v1 line, CRLF included.</summary>
    public const int MaxV1Length = 107;

    /// <summary>Signature, version and command, family, length.</summary>
    public const int V2FixedLength = 16;

    /// <summary>
    /// The largest v2 header accepted, TLVs included. The format allows 16 + 65535 bytes; senders
    /// in practice stay far below this (addresses plus a few TLVs such as an SNI or a unique id),
    /// and a cap keeps a client from holding a connection open on a 64 KiB promise.
    /// </summary>
    public const int MaxV2Length = 4096;

    private const int IPv4BlockLength = 12;
    private const int IPv6BlockLength = 36;
    private const int UnixBlockLength = 216;
    private const int TlvHeaderLength = 3;

    public static ReadOnlySpan<byte> V2Signature => [0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A];

    private static ReadOnlySpan<byte> V1Prefix => "PROXY "u8;

    public static ProxyReadStatus TryRead(in ReadOnlySequence<byte> input, out ProxyHeader header, out ProxyHeaderError error)
    {
        if (input.IsSingleSegment)
        {
            return TryRead(input.FirstSpan, out header, out error);
        }
        return TryReadSegmented(input, out header, out error);
    }

    /// <summary>A header split across segments: no header is longer than the v2 cap, so that much is flattened.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static ProxyReadStatus TryReadSegmented(in ReadOnlySequence<byte> input, out ProxyHeader header, out ProxyHeaderError error)
    {
        Span<byte> flat = stackalloc byte[MaxV2Length];
        var length = (int)Math.Min(input.Length, MaxV2Length);
        input.Slice(0, length).CopyTo(flat);
        return TryRead(flat[..length], out header, out error);
    }

    public static ProxyReadStatus TryRead(ReadOnlySpan<byte> input, out ProxyHeader header, out ProxyHeaderError error)
    {
        header = default;
        error = ProxyHeaderError.None;
        if (input.IsEmpty)
        {
            return ProxyReadStatus.NeedMore;
        }
        return input[0] == V1Prefix[0] ? ReadV1(input, ref header, ref error) : ReadV2(input, ref header, ref error);
    }

    private static ProxyReadStatus ReadV1(ReadOnlySpan<byte> input, ref ProxyHeader header, ref ProxyHeaderError error)
    {
        var prefix = Math.Min(input.Length, V1Prefix.Length);
        if (!input[..prefix].SequenceEqual(V1Prefix[..prefix]))
        {
            return Fail(ProxyHeaderError.Signature, ref error);
        }
        var window = input[..Math.Min(input.Length, MaxV1Length)];
        var newline = window.IndexOf((byte)'\n');
        if (newline < 0)
        {
            return window.Length == MaxV1Length ? Fail(ProxyHeaderError.TooLong, ref error) : ProxyReadStatus.NeedMore;
        }
        if (newline < V1Prefix.Length + 1 || window[newline - 1] != '\r')
        {
            return Fail(ProxyHeaderError.Syntax, ref error);
        }
        header.Version = ProxyVersion.V1;
        header.Command = ProxyCommand.PROXY;
        header.Length = newline + 1;
        var line = window[V1Prefix.Length..(newline - 1)];

        var protocol = NextField(ref line);
        if (protocol.SequenceEqual("UNKNOWN"u8))
        {
            // The spec: the receiver ignores whatever follows UNKNOWN up to the CRLF.
            header.Family = ProxyFamily.UNKNOWN;
            return ProxyReadStatus.Done;
        }
        bool ipv6;
        if (protocol.SequenceEqual("TCP4"u8))
        {
            ipv6 = false;
        }
        else if (protocol.SequenceEqual("TCP6"u8))
        {
            ipv6 = true;
        }
        else
        {
            return Fail(ProxyHeaderError.Syntax, ref error);
        }
        header.Family = ipv6 ? ProxyFamily.TCP6 : ProxyFamily.TCP4;

        var source = NextField(ref line);
        var destination = NextField(ref line);
        var sourcePort = NextField(ref line);
        var destinationPort = line;
        if (source.IsEmpty || destination.IsEmpty || sourcePort.IsEmpty || destinationPort.IsEmpty || destinationPort.Contains((byte)' '))
        {
            return Fail(ProxyHeaderError.Syntax, ref error);
        }

        Span<byte> sourceAddress = stackalloc byte[16];
        Span<byte> destinationAddress = stackalloc byte[16];
        var addressLength = ipv6 ? 16 : 4;
        var parsed = ipv6
            ? ProxyAddressText.TryParseIPv6(source, sourceAddress) && ProxyAddressText.TryParseIPv6(destination, destinationAddress)
            : ProxyAddressText.TryParseIPv4(source, sourceAddress) && ProxyAddressText.TryParseIPv4(destination, destinationAddress);
        if (!parsed)
        {
            return Fail(ProxyHeaderError.Address, ref error);
        }
        if (!ProxyAddressText.TryParsePort(sourcePort, out var sourcePortValue) || !ProxyAddressText.TryParsePort(destinationPort, out var destinationPortValue))
        {
            return Fail(ProxyHeaderError.Port, ref error);
        }
        header.Source.Set(sourceAddress[..addressLength], sourcePortValue);
        header.Destination.Set(destinationAddress[..addressLength], destinationPortValue);
        return ProxyReadStatus.Done;
    }

    /// <summary>The text up to the next space (or the end); <paramref name="line"/> keeps what follows that space.</summary>
    private static ReadOnlySpan<byte> NextField(ref ReadOnlySpan<byte> line)
    {
        var space = line.IndexOf((byte)' ');
        if (space < 0)
        {
            var all = line;
            line = default;
            return all;
        }
        var field = line[..space];
        line = line[(space + 1)..];
        return field;
    }

    private static ProxyReadStatus ReadV2(ReadOnlySpan<byte> input, ref ProxyHeader header, ref ProxyHeaderError error)
    {
        var signature = Math.Min(input.Length, V2Signature.Length);
        if (!input[..signature].SequenceEqual(V2Signature[..signature]))
        {
            return Fail(ProxyHeaderError.Signature, ref error);
        }
        if (input.Length > 12)
        {
            if (input[12] >> 4 != 2)
            {
                return Fail(ProxyHeaderError.Version, ref error);
            }
            if ((input[12] & 0x0F) > 1)
            {
                return Fail(ProxyHeaderError.Command, ref error);
            }
        }
        if (input.Length > 13 && AddressBlockLength(input[13]) < 0)
        {
            return Fail(ProxyHeaderError.Family, ref error);
        }
        if (input.Length < V2FixedLength)
        {
            return ProxyReadStatus.NeedMore;
        }
        var total = V2FixedLength + BinaryPrimitives.ReadUInt16BigEndian(input[14..]);
        if (total > MaxV2Length)
        {
            return Fail(ProxyHeaderError.TooLong, ref error);
        }
        if (input.Length < total)
        {
            return ProxyReadStatus.NeedMore;
        }

        header.Version = ProxyVersion.V2;
        header.Length = total;
        header.Command = (ProxyCommand)(input[12] & 0x0F);
        header.Family = ProxyFamily.UNKNOWN;
        var block = input[V2FixedLength..total];
        var familyByte = input[13];
        var addressLength = AddressBlockLength(familyByte);
        if (header.Command == ProxyCommand.LOCAL || familyByte == 0x00)
        {
            // The spec: the receiver discards the address block of LOCAL and of an unspecified family.
            return ProxyReadStatus.Done;
        }
        if (block.Length < addressLength)
        {
            return Fail(ProxyHeaderError.Length, ref error);
        }
        for (var tlvs = block[addressLength..]; !tlvs.IsEmpty;)
        {
            if (tlvs.Length < TlvHeaderLength)
            {
                return Fail(ProxyHeaderError.Tlv, ref error);
            }
            var next = TlvHeaderLength + BinaryPrimitives.ReadUInt16BigEndian(tlvs[1..]);
            if (next > tlvs.Length)
            {
                return Fail(ProxyHeaderError.Tlv, ref error);
            }
            tlvs = tlvs[next..];
        }
        switch (familyByte)
        {
            case 0x11:
                header.Family = ProxyFamily.TCP4;
                header.Source.Set(block[..4], BinaryPrimitives.ReadUInt16BigEndian(block[8..]));
                header.Destination.Set(block[4..8], BinaryPrimitives.ReadUInt16BigEndian(block[10..]));
                break;
            case 0x21:
                header.Family = ProxyFamily.TCP6;
                header.Source.Set(block[..16], BinaryPrimitives.ReadUInt16BigEndian(block[32..]));
                header.Destination.Set(block[16..32], BinaryPrimitives.ReadUInt16BigEndian(block[34..]));
                break;
            // UDP and Unix socket addresses name no TCP client: kept as UNKNOWN, as HAProxy does.
        }
        return ProxyReadStatus.Done;
    }

    /// <summary>The address block of a v2 family and transport byte, or -1 for a value the spec does not define.</summary>
    private static int AddressBlockLength(byte familyAndTransport) => familyAndTransport switch
    {
        0x00 => 0,
        0x11 or 0x12 => IPv4BlockLength,
        0x21 or 0x22 => IPv6BlockLength,
        0x31 or 0x32 => UnixBlockLength,
        _ => -1,
    };

    private static ProxyReadStatus Fail(ProxyHeaderError reason, ref ProxyHeaderError error)
    {
        error = reason;
        return ProxyReadStatus.Invalid;
    }
}
