using System.Collections.Concurrent;
using System.Text;

namespace FastGate.Functional.Tests.Infrastructure;

/// <summary>
/// A WebSocket upstream on raw sockets (an <see cref="L4TestServer"/>): it answers the upgrade
/// with a 101 (or, for the handshake tests, a 101 with a wrong Sec-WebSocket-Accept), then records
/// every frame it receives, echoes data frames unmasked, and answers a close with a close of the
/// same code before ending its side. Lets a test see what the daemon sent upstream.
/// </summary>
public sealed class RawWebSocketUpstream : IAsyncDisposable
{
    private readonly L4TestServer _server;

    public RawWebSocketUpstream(bool wrongAccept = false)
    {
        _server = new L4TestServer(async (socket, stream) =>
        {
            var head = await WebSocketWire.ReadHeadAsync(stream);
            if (head is null)
            {
                return;
            }
            Requests.Enqueue(head);
            var key = WebSocketWire.Header(head, "Sec-WebSocket-Key") ?? "";
            var accept = wrongAccept ? WebSocketWire.AcceptFor(key + "x") : WebSocketWire.AcceptFor(key);
            await stream.WriteAsync(Encoding.ASCII.GetBytes(
                $"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {accept}\r\n\r\n"));
            while (await WebSocketWire.ReadFrameAsync(stream) is { } frame)
            {
                Frames.Enqueue(frame);
                if (frame.Opcode == WebSocketWireFrame.Close)
                {
                    await stream.WriteAsync(WebSocketWire.CloseFrame(frame.CloseCode, masked: false));
                    break;
                }
                if (frame.Opcode is WebSocketWireFrame.Text or WebSocketWireFrame.Binary)
                {
                    await stream.WriteAsync(WebSocketWire.Frame(frame.Opcode, frame.Payload, masked: false));
                }
            }
            socket.Shutdown(System.Net.Sockets.SocketShutdown.Send);
        });
    }

    public string Address => _server.Address;

    /// <summary>The request heads it was sent.</summary>
    public ConcurrentQueue<string> Requests { get; } = new();

    /// <summary>The frames it received, unmasked, in order.</summary>
    public ConcurrentQueue<WebSocketWireFrame> Frames { get; } = new();

    public ValueTask DisposeAsync() => _server.DisposeAsync();
}
