using System.Net;
using System.Net.Sockets;

namespace FastGate.Functional.Tests.Infrastructure;

/// <summary>A raw TCP client that sends some bytes and waits for the server to end the connection.</summary>
public static class ServerClose
{
    /// <summary>
    /// Sends <paramref name="bytes"/> to the loopback <paramref name="port"/> (ending its side when
    /// <paramref name="endAfterSending"/>) and reads until the server closes or resets the
    /// connection: true then, false when it is still open after 20 seconds.
    /// </summary>
    public static async Task<bool> AfterSendingAsync(int port, byte[] bytes, bool endAfterSending = false)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port));
        if (bytes.Length > 0)
        {
            await socket.SendAsync(bytes);
        }
        if (endAfterSending)
        {
            socket.Shutdown(SocketShutdown.Send);
        }
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var buffer = new byte[4096];
        try
        {
            while (true)
            {
                // The server's flight or an alert may come first; the end follows.
                if (await socket.ReceiveAsync(buffer, cts.Token) == 0)
                {
                    return true;
                }
            }
        }
        catch (SocketException)
        {
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }
}
