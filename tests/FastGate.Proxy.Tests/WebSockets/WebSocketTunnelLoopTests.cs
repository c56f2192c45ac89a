using System.Collections.Concurrent;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using System.Text;
using FastGate.Core.Transport;
using FastGate.Core.Transport.Epoll;
using FastGate.Core.WebSockets;
using FastGate.Proxy.Config;
using FastGate.Proxy.Observability;
using FastGate.Proxy.Upstreams;
using FastGate.Proxy.WebSockets;

namespace FastGate.Proxy.Tests.WebSockets;

/// <summary>
/// The tunnel on an event loop, between two loop connections and real sockets: each direction is
/// driven from the loop's callbacks and goes to its async pump only to wait (a slow receiver, the
/// ending). What a client and an upstream see must be what they see on the portable transport
/// (<see cref="WebSocketTunnelTests"/>).
/// </summary>
public sealed class WebSocketTunnelLoopTests : IAsyncDisposable
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(20);

    private readonly ConcurrentQueue<Exception> _errors = new();
    private readonly EventLoop _loop;
    private readonly WebSocketMetrics _metrics = new();
    private EpollConnection? _clientSide;
    private Socket? _client;
    private Socket? _server;
    private PipeReader? _clientReader;
    private PipeReader? _serverReader;
    private WebSocketTunnel? _tunnel;
    private Task? _run;

    public WebSocketTunnelLoopTests()
    {
        _loop = new EventLoop(0, _errors.Enqueue);
        _loop.Start();
    }

    public async ValueTask DisposeAsync()
    {
        if (_clientSide is { } clientSide)
        {
            await OnLoop(() =>
            {
                clientSide.Dispose();
                return true;
            });
        }
        _client?.Dispose();
        _server?.Dispose();
        _loop.Dispose();
        Assert.Empty(_errors);
    }

    /// <summary>
    /// Opens the tunnel: the test's client socket talks to a loop connection that is the tunnel's
    /// client side, the tunnel's upstream side is a loop connection to the test's server socket.
    /// A <paramref name="clientReceiveBuffer"/> keeps the kernel from taking much off the tunnel's hands towards the client.
    /// </summary>
    private async Task StartAsync(int clientReceiveBuffer = 0, TimeSpan? streamIdle = null, int maxFrame = 64 * 1024)
    {
        var (clientSide, client) = await ConnectAsync(clientReceiveBuffer);
        var (upstreamSide, server) = await ConnectAsync(0);
        _clientSide = clientSide;
        _client = client;
        _server = server;
        _clientReader = PipeReader.Create(new NetworkStream(client, ownsSocket: false));
        _serverReader = PipeReader.Create(new NetworkStream(server, ownsSocket: false));
        var address = new IPEndPoint(IPAddress.Loopback, 9);
        var endpoint = new EndpointState(new EndpointModel { Address = "127.0.0.1:9", EndPoint = address, HostHeader = "upstream" }, SocketConnector.Default);
        _tunnel = new WebSocketTunnel(clientSide.Input, clientSide.Output, new UpstreamConnection(upstreamSide, endpoint, address), _loop, _metrics,
            new WebSocketLimits(maxFrame, 4 * maxFrame, validateUtf8: true), compressionNegotiated: false, streamIdle, maxDuration: null);
        var tunnel = _tunnel;
        _run = await OnLoop(() => tunnel.RunAsync());
    }

    /// <summary>The tunnel is over; the test goes on off the loop's thread (the tunnel completes on it).</summary>
    private Task EndedAsync() =>
        _run!.ContinueWith(static _ => { }, CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default).WaitAsync(Bound);

    private async Task<(EpollConnection Connection, Socket Peer)> ConnectAsync(int peerReceiveBuffer)
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        if (peerReceiveBuffer > 0)
        {
            // Inherited by the accepted socket; set before the handshake, it also fixes the window.
            listener.ReceiveBufferSize = peerReceiveBuffer;
        }
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        var accept = listener.AcceptAsync();
        var endPoint = (IPEndPoint)listener.LocalEndPoint!;
        var transport = await OnLoop(() => EpollConnection.ConnectAsync(_loop, endPoint, TimeSpan.FromSeconds(10)));
        var peer = await accept.WaitAsync(Bound);
        peer.NoDelay = true;
        return ((EpollConnection)transport, peer);
    }

    private Task<T> OnLoop<T>(Func<T> action) => OnLoop(() => ValueTask.FromResult(action()));

    private Task<T> OnLoop<T>(Func<ValueTask<T>> action)
    {
        var done = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        _loop.Post(async () =>
        {
            try
            {
                done.SetResult(await action());
            }
            catch (Exception ex)
            {
                done.SetException(ex);
            }
        });
        return done.Task.WaitAsync(Bound);
    }

    private static async Task SendAsync(Socket side, byte[] bytes)
    {
        var sent = 0;
        while (sent < bytes.Length)
        {
            sent += await side.SendAsync(bytes.AsMemory(sent), SocketFlags.None);
        }
    }

    /// <summary>A close handshake both ways, then both test ends close: the tunnel ends normally.</summary>
    private async Task CloseNormallyAsync()
    {
        var clientClose = TestFrames.CloseFrame(1000, masked: true);
        await SendAsync(_client!, clientClose);
        Assert.Equal(clientClose, await TestFrames.ReadExactlyAsync(_serverReader!, clientClose.Length));
        var serverClose = TestFrames.CloseFrame(1000, masked: false);
        await SendAsync(_server!, serverClose);
        Assert.Equal(serverClose, await TestFrames.ReadExactlyAsync(_clientReader!, serverClose.Length));
        _server!.Shutdown(SocketShutdown.Send);
        Assert.True(await TestFrames.EndsAsync(_clientReader!));
        _client!.Shutdown(SocketShutdown.Send);
        await EndedAsync();
        Assert.Equal(WebSocketCloseReason.Normal, _tunnel!.Reason);
    }

    [Fact]
    public async Task Messages_SplitAcrossReads_ArriveUnchangedBothWays()
    {
        await StartAsync();
        byte[] fromClient = [
            .. TestFrames.Frame(TestFrames.Text, "hé"u8, masked: true, fin: false),
            .. TestFrames.Frame(TestFrames.Ping, "?"u8, masked: true),
            .. TestFrames.Frame(TestFrames.Continuation, "llo wörld"u8, masked: true),
            .. TestFrames.Frame(TestFrames.Binary, new byte[300], masked: true),
        ];
        byte[] fromServer = [
            .. TestFrames.Frame(TestFrames.Pong, "?"u8, masked: false),
            .. TestFrames.Frame(TestFrames.Text, "späß"u8, masked: false, fin: false),
            .. TestFrames.Frame(TestFrames.Continuation, "!"u8, masked: false),
        ];

        // Pieces cut inside headers, masks, payloads and UTF-8 sequences, each its own read:
        // the tunnel parks between them with a message half through.
        for (var at = 0; at < fromClient.Length; at += 3)
        {
            await SendAsync(_client!, fromClient[at..Math.Min(at + 3, fromClient.Length)]);
            await Task.Delay(2);
        }
        for (var at = 0; at < fromServer.Length; at += 2)
        {
            await SendAsync(_server!, fromServer[at..Math.Min(at + 2, fromServer.Length)]);
            await Task.Delay(2);
        }

        Assert.Equal(fromClient, await TestFrames.ReadExactlyAsync(_serverReader!, fromClient.Length));
        Assert.Equal(fromServer, await TestFrames.ReadExactlyAsync(_clientReader!, fromServer.Length));
        await CloseNormallyAsync();
        var closeBytes = TestFrames.CloseFrame(1000, masked: true).Length;
        Assert.Equal(fromClient.Length + closeBytes, _tunnel!.BytesFromClient);
        Assert.Equal(fromServer.Length + closeBytes - 4, _tunnel.BytesFromUpstream);
        Assert.Equal(fromClient.Length + closeBytes, _metrics.Bytes(fromClient: true));
        Assert.Equal(0, _metrics.Open);
    }

    [Fact]
    public async Task SlowClient_MessagesArrivingWhileTheFlushWaits_AllGoThroughInOrder()
    {
        // The client reads nothing for a while: the tunnel's flush towards it waits on the kernel.
        await StartAsync(clientReceiveBuffer: 4096);
        var messages = new List<byte[]>();
        // More than the kernel buffers between the tunnel and the client take (4 MiB of send buffer at most).
        for (var i = 0; i < 600; i++)
        {
            var payload = new byte[16 * 1024];
            payload.AsSpan().Fill((byte)i);
            messages.Add(TestFrames.Frame(TestFrames.Binary, payload, masked: false));
        }
        var upstreamSends = Task.Run(async () =>
        {
            foreach (var message in messages)
            {
                await SendAsync(_server!, message);
            }
        });
        // The tunnel holds what the kernel did not take: its flush towards the client waits.
        var waited = false;
        for (var i = 0; i < 200 && !waited; i++)
        {
            await Task.Delay(20);
            waited = await OnLoop(() => _clientSide!.HoldsBuffers);
        }
        Assert.True(waited, "the tunnel never had to wait for the client");

        // The other direction goes on while this one waits.
        var ping = TestFrames.Frame(TestFrames.Text, "still here"u8, masked: true);
        await SendAsync(_client!, ping);
        Assert.Equal(ping, await TestFrames.ReadExactlyAsync(_serverReader!, ping.Length));

        foreach (var message in messages)
        {
            Assert.Equal(message, await TestFrames.ReadExactlyAsync(_clientReader!, message.Length));
        }
        await upstreamSends.WaitAsync(Bound);

        // Once the client caught up, small messages flow both ways again.
        var late = TestFrames.Frame(TestFrames.Text, "late"u8, masked: false);
        await SendAsync(_server!, late);
        Assert.Equal(late, await TestFrames.ReadExactlyAsync(_clientReader!, late.Length));
        await CloseNormallyAsync();
    }

    [Fact]
    public async Task ViolationInADrivenRead_BothSidesGetClose1002ThenAFin()
    {
        await StartAsync();
        var good = TestFrames.Frame(TestFrames.Text, "fine"u8, masked: true);
        await SendAsync(_client!, good);
        Assert.Equal(good, await TestFrames.ReadExactlyAsync(_serverReader!, good.Length));

        await SendAsync(_client!, TestFrames.Frame(TestFrames.Text, "bad"u8, masked: false));

        var toClient = await TestFrames.ReadFrameAsync(_clientReader!);
        Assert.Equal((TestFrames.Close, false), (toClient.Opcode, toClient.Masked));
        Assert.Equal(1002, TestFrames.CloseCode(toClient.Payload));
        var toServer = await TestFrames.ReadFrameAsync(_serverReader!);
        Assert.Equal((TestFrames.Close, true), (toServer.Opcode, toServer.Masked));
        Assert.Equal(1002, TestFrames.CloseCode(toServer.Payload));
        Assert.True(await TestFrames.EndsAsync(_clientReader!));
        Assert.True(await TestFrames.EndsAsync(_serverReader!));

        _server!.Shutdown(SocketShutdown.Send);
        _client!.Shutdown(SocketShutdown.Send);
        await EndedAsync();
        Assert.Equal(WebSocketCloseReason.Violation1002, _tunnel!.Reason);
        Assert.Equal(1, _metrics.Closes(WebSocketCloseReason.Violation1002));
    }

    [Fact]
    public async Task CloseFrameThenMoreInOneRead_IsAViolation_AndTheUpstreamGetsOurCloseForTheOneThatNeverWent()
    {
        await StartAsync();
        // A frame after a close is a violation (RFC 6455 §5.5.1): all of one read is judged before
        // any of it goes, so the client's close did not reach the upstream, which gets the tunnel's.
        byte[] read = [.. TestFrames.CloseFrame(1000, masked: true), .. TestFrames.Frame(TestFrames.Text, "after"u8, masked: true)];
        await SendAsync(_client!, read);

        var toClient = await TestFrames.ReadFrameAsync(_clientReader!);
        Assert.Equal(1002, TestFrames.CloseCode(toClient.Payload));
        var toServer = await TestFrames.ReadFrameAsync(_serverReader!);
        Assert.Equal(1002, TestFrames.CloseCode(toServer.Payload));
        _server!.Shutdown(SocketShutdown.Send);
        _client!.Shutdown(SocketShutdown.Send);
        await EndedAsync();
        Assert.Equal(WebSocketCloseReason.Violation1002, _tunnel!.Reason);
    }

    [Fact]
    public async Task EndForDrain_InsideAFragmentedMessage_ClosesThatSideAfterTheMessage()
    {
        await StartAsync();
        var first = TestFrames.Frame(TestFrames.Text, "part one, "u8, masked: true, fin: false);
        await SendAsync(_client!, first);
        Assert.Equal(first, await TestFrames.ReadExactlyAsync(_serverReader!, first.Length));

        // From off the loop, while both directions are parked on their sockets.
        _tunnel!.EndForDrain();

        var toClient = await TestFrames.ReadFrameAsync(_clientReader!);
        Assert.Equal(1001, TestFrames.CloseCode(toClient.Payload));
        Assert.Equal("server shutting down", Encoding.UTF8.GetString(toClient.Payload.AsSpan(2)));
        var last = TestFrames.Frame(TestFrames.Continuation, "part two"u8, masked: true);
        await SendAsync(_client!, last);
        Assert.Equal(last, await TestFrames.ReadExactlyAsync(_serverReader!, last.Length));
        var toServer = await TestFrames.ReadFrameAsync(_serverReader!);
        Assert.Equal((TestFrames.Close, true), (toServer.Opcode, toServer.Masked));
        Assert.Equal(1001, TestFrames.CloseCode(toServer.Payload));
        Assert.True(await TestFrames.EndsAsync(_serverReader!));

        _server!.Shutdown(SocketShutdown.Send);
        _client!.Shutdown(SocketShutdown.Send);
        await EndedAsync();
        Assert.Equal(WebSocketCloseReason.Drain, _tunnel.Reason);
        Assert.Equal(1, _metrics.Closes(WebSocketCloseReason.Drain));
    }

    [Fact]
    public async Task StreamIdle_OnTheLoop_SendsGoingAwayToBothSides()
    {
        // Both directions parked on their sockets: the loop's timer ends the tunnel.
        await StartAsync(streamIdle: TimeSpan.FromMilliseconds(200));

        var toClient = await TestFrames.ReadFrameAsync(_clientReader!);
        Assert.Equal(1001, TestFrames.CloseCode(toClient.Payload));
        Assert.Equal("idle timeout", Encoding.UTF8.GetString(toClient.Payload.AsSpan(2)));
        var toServer = await TestFrames.ReadFrameAsync(_serverReader!);
        Assert.Equal(1001, TestFrames.CloseCode(toServer.Payload));

        _server!.Shutdown(SocketShutdown.Send);
        _client!.Shutdown(SocketShutdown.Send);
        await EndedAsync();
        Assert.Equal(WebSocketCloseReason.Idle, _tunnel!.Reason);
    }

    [Fact]
    public async Task UpstreamFin_GoesOnToTheClient_AndTheClientsEndsTheTunnel()
    {
        await StartAsync();
        var last = TestFrames.Frame(TestFrames.Text, "bye"u8, masked: false);
        await SendAsync(_server!, last);
        _server!.Shutdown(SocketShutdown.Send);

        Assert.Equal(last, await TestFrames.ReadExactlyAsync(_clientReader!, last.Length));
        Assert.True(await TestFrames.EndsAsync(_clientReader!));
        _client!.Shutdown(SocketShutdown.Send);
        await EndedAsync();
        Assert.Equal(WebSocketCloseReason.Normal, _tunnel!.Reason);
    }

    [Fact]
    public async Task UpstreamReset_WhileParked_EndsTheTunnel()
    {
        await StartAsync();
        var message = TestFrames.Frame(TestFrames.Text, "hello"u8, masked: true);
        await SendAsync(_client!, message);
        Assert.Equal(message, await TestFrames.ReadExactlyAsync(_serverReader!, message.Length));

        _server!.LingerState = new LingerOption(true, 0);
        _server.Close();

        await EndedAsync();
        Assert.Equal(WebSocketCloseReason.Reset, _tunnel!.Reason);
        Assert.Equal(1, _metrics.Closes(WebSocketCloseReason.Reset));
    }
}
