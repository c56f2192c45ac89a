using System.Net;
using System.Net.Sockets;
using System.Text;

namespace FastGate.Functional.Tests.Infrastructure;

/// <summary>
/// A WebSocket client on a raw socket: it sends an upgrade request as written by the test and
/// then frames built by <see cref="WebSocketWire"/>, valid or not, and reads what comes back.
/// </summary>
public sealed class RawWebSocketClient : IAsyncDisposable
{
    private readonly Socket _socket;

    private RawWebSocketClient(Socket socket)
    {
        _socket = socket;
        Stream = new NetworkStream(socket, ownsSocket: false);
    }

    public NetworkStream Stream { get; }

    /// <summary>The response head to the upgrade request.</summary>
    public string ResponseHead { get; private set; } = "";

    public int Status => WebSocketWire.Status(ResponseHead);

    public static async Task<RawWebSocketClient> ConnectAsync(int port)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port));
        return new RawWebSocketClient(socket);
    }

    /// <summary>Connects and upgrades <paramref name="path"/> with a well-formed request; the response head is in <see cref="ResponseHead"/>.</summary>
    public static async Task<RawWebSocketClient> UpgradeAsync(int port, string path, string extraHeaders = "")
    {
        var client = await ConnectAsync(port);
        await client.SendAsync(
            $"GET {path} HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
            $"Sec-WebSocket-Key: {WebSocketWire.NewKey()}\r\nSec-WebSocket-Version: 13\r\n{extraHeaders}\r\n");
        await client.ReadHeadAsync();
        return client;
    }

    public Task SendAsync(string text) => SendAsync(Encoding.Latin1.GetBytes(text));

    public async Task SendAsync(byte[] bytes)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await Stream.WriteAsync(bytes, cts.Token);
    }

    public async Task<string> ReadHeadAsync()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        ResponseHead = await WebSocketWire.ReadHeadAsync(Stream, cts.Token) ?? throw new IOException("closed before a response head");
        return ResponseHead;
    }

    /// <summary>The next frame, within 10 s; null when the daemon closed first.</summary>
    public async Task<WebSocketWireFrame?> ReadFrameAsync()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        return await WebSocketWire.ReadFrameAsync(Stream, cts.Token);
    }

    /// <summary>True when the daemon ends the connection (FIN or reset) within <paramref name="timeout"/>, reading and dropping anything before.</summary>
    public async Task<bool> IsClosedByPeerAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        var buffer = new byte[4096];
        try
        {
            while (await Stream.ReadAsync(buffer, cts.Token) > 0)
            {
            }
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
        catch (IOException)
        {
            return true;
        }
    }

    public ValueTask DisposeAsync()
    {
        Stream.Dispose();
        _socket.Dispose();
        return ValueTask.CompletedTask;
    }
}
