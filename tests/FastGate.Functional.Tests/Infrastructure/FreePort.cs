using System.Net;
using System.Net.Sockets;

namespace FastGate.Functional.Tests.Infrastructure;

public static class FreePort
{
    /// <summary>
    /// A loopback port nothing listens on right now: bind port 0, read what the kernel chose,
    /// release it. Another process could take it before we use it; on loopback in a test run
    /// that window is small enough.
    /// </summary>
    public static int Next()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)socket.LocalEndPoint!).Port;
    }
}
