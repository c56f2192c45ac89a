using System.Buffers.Binary;

namespace FastGate.Core.ProxyProtocol;

/// <summary>
/// Writes the PROXY protocol header a sender puts before any other byte of an upstream connection.
/// Addresses are 4 or 16 bytes in network order; an IPv4-mapped IPv6 address is written as the
/// IPv4 address it is, and when the two ends still differ in family both are written as IPv6.
/// An address of another length (none, as for a Unix socket client) gives the header that says
/// "unknown": v1 "PROXY UNKNOWN", v2 PROXY with the unspecified family, and the receiver keeps
/// the connection's own addresses.
/// </summary>
public static class ProxyProtocolWriter
{
    /// <summary>Room for any header this writer makes, either version.</summary>
    public const int MaxLength = ProxyProtocolReader.MaxV1Length;

    public static int Write(ProxyVersion version, Span<byte> destination, ReadOnlySpan<byte> source, ushort sourcePort, ReadOnlySpan<byte> target, ushort targetPort) =>
        version == ProxyVersion.V1
            ? WriteV1(destination, source, sourcePort, target, targetPort)
            : WriteV2(destination, source, sourcePort, target, targetPort);

    public static int WriteV1(Span<byte> destination, ReadOnlySpan<byte> sourceAddress, ushort sourcePort, ReadOnlySpan<byte> targetAddress, ushort targetPort)
    {
        Span<byte> scratch = stackalloc byte[32];
        scoped var source = sourceAddress;
        scoped var target = targetAddress;
        var family = Normalize(ref source, ref target, scratch);
        var written = Append(destination, 0, "PROXY "u8);
        if (family == ProxyFamily.UNKNOWN)
        {
            return Append(destination, written, "UNKNOWN\r\n"u8);
        }
        written = Append(destination, written, family == ProxyFamily.TCP4 ? "TCP4 "u8 : "TCP6 "u8);
        written += WriteAddress(source, destination[written..]);
        destination[written++] = (byte)' ';
        written += WriteAddress(target, destination[written..]);
        destination[written++] = (byte)' ';
        written += ProxyAddressText.WritePort(sourcePort, destination[written..]);
        destination[written++] = (byte)' ';
        written += ProxyAddressText.WritePort(targetPort, destination[written..]);
        return Append(destination, written, "\r\n"u8);
    }

    public static int WriteV2(Span<byte> destination, ReadOnlySpan<byte> sourceAddress, ushort sourcePort, ReadOnlySpan<byte> targetAddress, ushort targetPort)
    {
        Span<byte> scratch = stackalloc byte[32];
        scoped var source = sourceAddress;
        scoped var target = targetAddress;
        var family = Normalize(ref source, ref target, scratch);
        ProxyProtocolReader.V2Signature.CopyTo(destination);
        destination[12] = 0x21; // version 2, PROXY
        if (family == ProxyFamily.UNKNOWN)
        {
            destination[13] = 0x00;
            BinaryPrimitives.WriteUInt16BigEndian(destination[14..], 0);
            return ProxyProtocolReader.V2FixedLength;
        }
        var length = source.Length * 2 + 4;
        destination[13] = family == ProxyFamily.TCP4 ? (byte)0x11 : (byte)0x21;
        BinaryPrimitives.WriteUInt16BigEndian(destination[14..], (ushort)length);
        var block = destination[ProxyProtocolReader.V2FixedLength..];
        source.CopyTo(block);
        target.CopyTo(block[source.Length..]);
        BinaryPrimitives.WriteUInt16BigEndian(block[(source.Length * 2)..], sourcePort);
        BinaryPrimitives.WriteUInt16BigEndian(block[(source.Length * 2 + 2)..], targetPort);
        return ProxyProtocolReader.V2FixedLength + length;
    }

    /// <summary>
    /// The header of a connection the sender opens for itself, such as a health check: v2 LOCAL,
    /// or v1 "PROXY UNKNOWN" (v1 has no LOCAL). The receiver keeps the connection's own addresses.
    /// </summary>
    public static int WriteLocal(ProxyVersion version, Span<byte> destination)
    {
        if (version == ProxyVersion.V1)
        {
            return Append(destination, 0, "PROXY UNKNOWN\r\n"u8);
        }
        ProxyProtocolReader.V2Signature.CopyTo(destination);
        destination[12] = 0x20; // version 2, LOCAL
        destination[13] = 0x00;
        BinaryPrimitives.WriteUInt16BigEndian(destination[14..], 0);
        return ProxyProtocolReader.V2FixedLength;
    }

    /// <summary>Brings both addresses to one family (IPv4 when both can be), using <paramref name="scratch"/> for mapped forms.</summary>
    private static ProxyFamily Normalize(ref ReadOnlySpan<byte> source, ref ReadOnlySpan<byte> target, Span<byte> scratch)
    {
        source = Unmap(source);
        target = Unmap(target);
        if (source.Length is not (4 or 16) || target.Length is not (4 or 16))
        {
            return ProxyFamily.UNKNOWN;
        }
        if (source.Length == target.Length)
        {
            return source.Length == 4 ? ProxyFamily.TCP4 : ProxyFamily.TCP6;
        }
        if (source.Length == 4)
        {
            source = Map(source, scratch[..16]);
        }
        else
        {
            target = Map(target, scratch[16..]);
        }
        return ProxyFamily.TCP6;
    }

    private static ReadOnlySpan<byte> Unmap(ReadOnlySpan<byte> address) =>
        address.Length == 16 && address[..10].IndexOfAnyExcept((byte)0) < 0 && address[10] == 0xFF && address[11] == 0xFF
            ? address[12..]
            : address;

    private static ReadOnlySpan<byte> Map(ReadOnlySpan<byte> ipv4, Span<byte> destination)
    {
        destination.Clear();
        destination[10] = 0xFF;
        destination[11] = 0xFF;
        ipv4.CopyTo(destination[12..]);
        return destination;
    }

    private static int WriteAddress(ReadOnlySpan<byte> address, Span<byte> destination) =>
        address.Length == 4 ? ProxyAddressText.WriteIPv4(address, destination) : ProxyAddressText.WriteIPv6(address, destination);

    private static int Append(Span<byte> destination, int at, ReadOnlySpan<byte> text)
    {
        text.CopyTo(destination[at..]);
        return at + text.Length;
    }
}
