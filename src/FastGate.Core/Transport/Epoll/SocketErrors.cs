using System.Net.Sockets;

namespace FastGate.Core.Transport.Epoll;

/// <summary>Linux errno values as the <see cref="SocketError"/> codes the rest of FastGate already handles.</summary>
internal static class SocketErrors
{
    public static int FromErrno(int errno) => (int)(errno switch
    {
        Libc.ECONNRESET => SocketError.ConnectionReset,
        Libc.EPIPE => SocketError.Shutdown,
        Libc.ECONNABORTED => SocketError.ConnectionAborted,
        111 => SocketError.ConnectionRefused,
        110 => SocketError.TimedOut,
        113 => SocketError.HostUnreachable,
        101 => SocketError.NetworkUnreachable,
        99 => SocketError.AddressNotAvailable,
        98 => SocketError.AddressAlreadyInUse,
        Libc.EMFILE or Libc.ENFILE => SocketError.TooManyOpenSockets,
        Libc.ENOBUFS or Libc.ENOMEM => SocketError.NoBufferSpaceAvailable,
        Libc.EBADF => SocketError.OperationAborted,
        _ => SocketError.SocketError,
    });

    public static SocketException Exception(int errno) => new(FromErrno(errno));
}
