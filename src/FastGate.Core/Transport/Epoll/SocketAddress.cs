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

    /// <summary>The address accept4 filled in; null for a family other than IPv4 and IPv6.</summary>
    public static IPEndPoint? Read(byte* address, uint length)
    {
        var span = new ReadOnlySpan<byte>(address, (int)Math.Min(length, MaxLength));
        if (span.Length < 2)
        {
            return null;
        }
        var family = *(ushort*)address;
        var port = span.Length >= 4 ? BinaryPrimitives.ReadUInt16BigEndian(span[2..]) : 0;
        if (family == Libc.AF_INET && span.Length >= 8)
        {
            return new IPEndPoint(new IPAddress(span.Slice(4, 4)), port);
        }
        if (family == Libc.AF_INET6 && span.Length >= 24)
        {
            var scope = span.Length >= 28 ? BinaryPrimitives.ReadUInt32LittleEndian(span[24..]) : 0;
            return new IPEndPoint(new IPAddress(span.Slice(8, 16), scope), port);
        }
        return null;
    }
}
