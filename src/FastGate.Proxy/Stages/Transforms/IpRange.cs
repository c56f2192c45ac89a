using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;

namespace FastGate.Proxy.Stages.Transforms;

/// <summary>
/// A CIDR block as two 64-bit halves of the IPv6 form and their masks, so a check is four ANDs and
/// two compares with no allocation. IPv4 blocks are kept in their IPv4-mapped form
/// (::ffff:a.b.c.d, RFC 4291 §2.5.5.2) and flagged IPv4, and so is an IPv6 block inside ::ffff:0:0/96:
/// a client reaching a dual-stack socket as ::ffff:10.1.2.3 is the IPv4 client 10.1.2.3. The
/// family must match, so "::/0" is every IPv6 client and not every IPv4 one too.
/// </summary>
public readonly struct IpRange
{
    private readonly ulong _high, _low, _maskHigh, _maskLow;
    private readonly bool _isIPv4;

    private IpRange(ulong high, ulong low, ulong maskHigh, ulong maskLow, bool isIPv4)
    {
        _maskHigh = maskHigh;
        _maskLow = maskLow;
        _high = high & maskHigh;
        _low = low & maskLow;
        _isIPv4 = isIPv4;
    }

    public static IpRange From(IPNetwork network)
    {
        Span<byte> bytes = stackalloc byte[16];
        var prefix = network.PrefixLength;
        if (network.BaseAddress.AddressFamily == AddressFamily.InterNetwork)
        {
            Map(network.BaseAddress.GetAddressBytes(), bytes);
            prefix += 96;
        }
        else
        {
            network.BaseAddress.TryWriteBytes(bytes, out _);
        }
        var isIPv4 = IsMapped(bytes) && prefix >= 96;
        var maskHigh = prefix >= 64 ? ulong.MaxValue : prefix == 0 ? 0 : ulong.MaxValue << (64 - prefix);
        var maskLow = prefix <= 64 ? 0 : prefix == 128 ? ulong.MaxValue : ulong.MaxValue << (128 - prefix);
        return new IpRange(
            BinaryPrimitives.ReadUInt64BigEndian(bytes), BinaryPrimitives.ReadUInt64BigEndian(bytes[8..]),
            maskHigh, maskLow, isIPv4);
    }

    /// <summary>True when <paramref name="ip"/> (4 or 16 bytes, as <see cref="Forwarding.Exchange.ClientIpBytes"/>) is in the block.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool Contains(ReadOnlySpan<byte> ip)
    {
        if (!TryRead(ip, out var high, out var low, out var isIPv4))
        {
            return false;
        }
        return Contains(high, low, isIPv4);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal bool Contains(ulong high, ulong low, bool isIPv4) =>
        isIPv4 == _isIPv4 && (high & _maskHigh) == _high && (low & _maskLow) == _low;

    /// <summary>Reads a 4- or 16-byte address into the halves of its IPv6 (IPv4-mapped) form.</summary>
    internal static bool TryRead(ReadOnlySpan<byte> ip, out ulong high, out ulong low, out bool isIPv4)
    {
        if (ip.Length == 4)
        {
            high = 0;
            low = 0x0000_FFFF_0000_0000UL | BinaryPrimitives.ReadUInt32BigEndian(ip);
            isIPv4 = true;
            return true;
        }
        if (ip.Length == 16)
        {
            high = BinaryPrimitives.ReadUInt64BigEndian(ip);
            low = BinaryPrimitives.ReadUInt64BigEndian(ip[8..]);
            isIPv4 = high == 0 && (low >> 32) == 0xFFFF;
            return true;
        }
        high = low = 0;
        isIPv4 = false;
        return false;
    }

    private static void Map(ReadOnlySpan<byte> ipv4, Span<byte> destination)
    {
        destination.Clear();
        destination[10] = 0xFF;
        destination[11] = 0xFF;
        ipv4.CopyTo(destination[12..]);
    }

    private static bool IsMapped(ReadOnlySpan<byte> bytes) =>
        bytes[..10].IndexOfAnyExcept((byte)0) < 0 && bytes[10] == 0xFF && bytes[11] == 0xFF;
}
