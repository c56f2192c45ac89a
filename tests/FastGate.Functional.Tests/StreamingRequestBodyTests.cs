using System.Net;
using System.Net.Sockets;
using System.Text;
using FastGate.Functional.Tests.Infrastructure;

namespace FastGate.Functional.Tests;

/// <summary>
/// The upstream's response is read while the request body still flows: an early answer is
/// forwarded instead of becoming a 502 or a timeout, and a full-duplex stream goes both ways.
/// </summary>
[Collection(SharedGatewayCollection.Name)]
public sealed class StreamingRequestBodyTests(SharedGatewayFixture fixture)
{
    private int Port => fixture.Gateway.Port;

    [Fact]
    public async Task Post_UpstreamAnswers413BeforeReadingTheBody_ClientGets413()
    {
        const int size = 10 * 1024 * 1024;
        await using var connection = await RawHttpConnection.ConnectAsync(Port);
        await connection.SendAsync($"POST /api/early/413 HTTP/1.1\r\nHost: x\r\nContent-Length: {size}\r\n\r\n");
        var sending = SendIgnoringErrorsAsync(connection, new byte[size]);

        var response = await connection.ReadResponseAsync();

        Assert.Equal(413, response.Status);
        Assert.Equal("early 413", response.BodyText);
        // The rest of the body will never be read, so the connection cannot carry another request.
        Assert.Equal("close", response.Header("Connection"));
        await sending;
    }

    [Fact]
    public async Task Post_UpstreamEchoesEachChunk_EchoArrivesBeforeTheNextChunkIsSent()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, Port));
        var received = new StringBuilder();

        await SendAsync(socket, "POST /api/duplex HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n");
        await ReceiveUntilAsync(socket, received, "hello");
        await SendAsync(socket, "5\r\nworld\r\n");
        await ReceiveUntilAsync(socket, received, "world");
        await SendAsync(socket, "0\r\n\r\n");
        await ReceiveUntilAsync(socket, received, "\r\n0\r\n\r\n");

        Assert.StartsWith("HTTP/1.1 200 OK\r\n", received.ToString());
    }

    private static async Task SendIgnoringErrorsAsync(RawHttpConnection connection, byte[] body)
    {
        try
        {
            await connection.SendAsync(body);
        }
        catch (Exception ex) when (ex is SocketException or OperationCanceledException)
        {
            // The proxy answered and closed; the rest of the body has nowhere to go.
        }
    }

    private static async Task SendAsync(Socket socket, string text)
    {
        var bytes = Encoding.ASCII.GetBytes(text);
        var sent = 0;
        while (sent < bytes.Length)
        {
            sent += await socket.SendAsync(bytes.AsMemory(sent), SocketFlags.None);
        }
    }

    /// <summary>Reads until <paramref name="marker"/> has arrived; far below the 60 s idle_timeout a stalled stream would take.</summary>
    private static async Task ReceiveUntilAsync(Socket socket, StringBuilder received, string marker)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        var buffer = new byte[4096];
        while (!received.ToString().Contains(marker, StringComparison.Ordinal))
        {
            var read = await socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token);
            if (read == 0)
            {
                throw new EndOfStreamException($"closed before '{marker}'; got:\n{received}");
            }
            received.Append(Encoding.ASCII.GetString(buffer, 0, read));
        }
    }
}
