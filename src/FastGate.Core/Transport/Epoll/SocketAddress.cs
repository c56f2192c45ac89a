using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace FastGate.Core.Transport.Epoll;

/// <summary>struct sockaddr_in / sockaddr_in6, written and read by hand for connect and accept4.</summary>
internal static unsafe class SocketAddress
{
    public const int MaxLength = 128;

    /// <summary>Writes <paramref name="endPoint"/> into <paramref name="address"/>; returns its length.</summary>
    public static int Write(IPEndPoint endPoint, byte* address)
    {
        var span = new Span<byte>(address, MaxLength);
        span[..28].Clear();
        BinaryPrimitives.WriteUInt16BigEndian(span[2..], (ushort)endPoint.Port);
        if (endPoint.AddressFamily == AddressFamily.InterNetworkV6)
        {
            *(ushort*)address = Libc.AF_INET6;
            endPoint.Address.TryWriteBytes(span.Slice(8, 16), out _);
            BinaryPrimitives.WriteUInt32LittleEndian(span[24..], (uint)endPoint.Address.ScopeId);
            return 28;
        }
        *(ushort*)address = Libc.AF_INET;
        endPoint.Address.TryWriteBytes(span.Slice(4, 4), out _);
        return 16;
    }

    /// <summary>
    /// The IP of the address accept4 filled in, as 4 bytes (IPv4, also when mapped into IPv6) or
    /// 16 (IPv6), without allocating; empty for another family.
    /// </summary>
    public static ReadOnlySpan<byte> Ip(byte* address, uint length)
    {
        var span = new ReadOnlySpan<byte>(address, (int)Math.Min(length, MaxLength));
        if (span.Length < 2)
        {
            return default;
        }
        var family = *(ushort*)address;
        if (family == Libc.AF_INET && span.Length >= 8)
        {
            return span.Slice(4, 4);
        }
        if (family == Libc.AF_INET6 && span.Length >= 24)
        {
            var ip = span.Slice(8, 16);
            // ::ffff:a.b.c.d, what a dual-mode socket reports for an IPv4 client.
            return ip[..10].IndexOfAnyExcept((byte)0) < 0 && ip[10] == 0xFF && ip[11] == 0xFF ? ip[12..] : ip;
        }
        return default;
    }

    /// <summary>The address and port accept4, getpeername or getsockname filled in; null for another family.</summary>
    public static IPEndPoint? EndPoint(byte* address, uint length)
    {
        var ip = Ip(address, length);
        if (ip.IsEmpty)
        {
            return null;
        }
        var port = BinaryPrimitives.ReadUInt16BigEndian(new ReadOnlySpan<byte>(address + 2, 2));
        return new IPEndPoint(new IPAddress(ip), port);
    }
}
