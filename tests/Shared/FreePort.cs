using System.Net;
using System.Net.Sockets;

namespace FastGate.Testing;

public static class FreePort
{
    // The kernel may hand the same port to two binds in a row once the first socket is
    // closed, so a config asking for three ports could get one twice. No port is handed out
    // twice in one test run; the ephemeral range is far larger than what the suite uses.
    private static readonly HashSet<int> s_handedOut = new();

    /// <summary>
    /// A loopback port nothing listens on right now and that this run has not handed out
    /// before: bind port 0, read what the kernel chose, release it. Another process could take
    /// it before we use it; on loopback in a test run that window is small enough.
    /// </summary>
    public static int Next()
    {
        lock (s_handedOut)
        {
            for (var attempt = 0; attempt < 1000; attempt++)
            {
                using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
                var port = ((IPEndPoint)socket.LocalEndPoint!).Port;
                if (s_handedOut.Add(port))
                    return port;
            }
            throw new InvalidOperationException("no loopback port left that this test run has not used");
        }
    }
}
