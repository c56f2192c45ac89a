using System.Net;
using System.Text;
using FastGate.Core.Transport;
using FastGate.Core.WebSockets;
using FastGate.Proxy.Config;
using FastGate.Proxy.Observability;
using FastGate.Proxy.Upstreams;
using FastGate.Proxy.WebSockets;

namespace FastGate.Proxy.Tests.WebSockets;

public sealed class WebSocketTunnelTests : IDisposable
{
    // The test's own ends: what a client and an upstream would read and write.
    private readonly InMemoryTransport _client;
    private readonly InMemoryTransport _server;
    private readonly WebSocketMetrics _metrics = new();
    private readonly WebSocketTunnel _tunnel;
    private readonly Task _run;

    public WebSocketTunnelTests()
    {
        var (client, clientSide) = InMemoryTransport.CreatePair();
        var (upstreamSide, server) = InMemoryTransport.CreatePair();
        _client = client;
        _server = server;
        var address = new IPEndPoint(IPAddress.Loopback, 9);
        var endpoint = new EndpointState(new EndpointModel { Address = "127.0.0.1:9", EndPoint = address, HostHeader = "upstream" }, SocketConnector.Default);
        var upstream = new UpstreamConnection(upstreamSide, endpoint, address);
        _tunnel = new WebSocketTunnel(clientSide.Input, clientSide.Output, upstream, loop: null, _metrics,
            new WebSocketLimits(1024, 4096, validateUtf8: true), compressionNegotiated: false, streamIdle: null, maxDuration: null);
        _run = _tunnel.RunAsync();
    }

    public void Dispose()
    {
        _client.Dispose();
        _server.Dispose();
    }

    private static async Task SendAsync(InMemoryTransport side, byte[] bytes, bool byteByByte = false)
    {
        if (!byteByByte)
        {
            await side.Output.WriteAsync(bytes);
            return;
        }
        for (var i = 0; i < bytes.Length; i++)
        {
            await side.Output.WriteAsync(bytes.AsMemory(i, 1));
        }
    }

    /// <summary>Both test ends close, as a client and an upstream do after a close handshake.</summary>
    private async Task BothEndAsync()
    {
        _server.Output.Complete();
        _client.Output.Complete();
        await _run.WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task Frames_SplitAtEveryByte_ArriveUnchangedBothWays()
    {
        byte[] fromClient = [
            .. TestFrames.Frame(TestFrames.Text, "hé"u8, masked: true, fin: false),
            .. TestFrames.Frame(TestFrames.Ping, "?"u8, masked: true),
            .. TestFrames.Frame(TestFrames.Continuation, "llo wörld"u8, masked: true),
            .. TestFrames.Frame(TestFrames.Binary, new byte[300], masked: true),
        ];
        byte[] fromServer = [
            .. TestFrames.Frame(TestFrames.Pong, "?"u8, masked: false),
            .. TestFrames.Frame(TestFrames.Text, "späß"u8, masked: false),
        ];

        await SendAsync(_client, fromClient, byteByByte: true);
        await SendAsync(_server, fromServer, byteByByte: true);

        Assert.Equal(fromClient, await TestFrames.ReadExactlyAsync(_server.Input, fromClient.Length));
        Assert.Equal(fromServer, await TestFrames.ReadExactlyAsync(_client.Input, fromServer.Length));
        Assert.Equal(fromClient.Length, _tunnel.BytesFromClient);
        Assert.Equal(fromServer.Length, _tunnel.BytesFromUpstream);
        Assert.Equal(1, _metrics.Open);
    }

    [Fact]
    public async Task CloseHandshake_PassesThrough_AndEndsNormally()
    {
        var clientClose = TestFrames.CloseFrame(1000, masked: true);
        var serverClose = TestFrames.CloseFrame(1000, masked: false);
        await SendAsync(_client, clientClose);
        Assert.Equal(clientClose, await TestFrames.ReadExactlyAsync(_server.Input, clientClose.Length));
        await SendAsync(_server, serverClose);
        Assert.Equal(serverClose, await TestFrames.ReadExactlyAsync(_client.Input, serverClose.Length));

        // The upstream ends first (RFC 6455 §7.1.1): its FIN goes on to the client.
        _server.Output.Complete();
        Assert.True(await TestFrames.EndsAsync(_client.Input));
        _client.Output.Complete();
        await _run.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(WebSocketCloseReason.Normal, _tunnel.Reason);
        Assert.Equal(1, _metrics.Closes(WebSocketCloseReason.Normal));
        Assert.Equal(0, _metrics.Open);
    }

    [Fact]
    public async Task UnmaskedClientFrame_BothSidesGetClose1002_AndNeverTheFrame()
    {
        await SendAsync(_client, TestFrames.Frame(TestFrames.Text, "bad"u8, masked: false));

        var toClient = await TestFrames.ReadFrameAsync(_client.Input);
        Assert.Equal((TestFrames.Close, false), (toClient.Opcode, toClient.Masked));
        Assert.Equal(1002, TestFrames.CloseCode(toClient.Payload));
        var toServer = await TestFrames.ReadFrameAsync(_server.Input);
        Assert.Equal((TestFrames.Close, true), (toServer.Opcode, toServer.Masked));
        Assert.Equal(1002, TestFrames.CloseCode(toServer.Payload));
        // Our close is followed by a FIN each way.
        Assert.True(await TestFrames.EndsAsync(_client.Input));
        Assert.True(await TestFrames.EndsAsync(_server.Input));

        await BothEndAsync();
        Assert.Equal(WebSocketCloseReason.Violation1002, _tunnel.Reason);
        Assert.Equal(1, _metrics.Closes(WebSocketCloseReason.Violation1002));
    }

    [Fact]
    public async Task ViolationInsideAFrame_UpstreamGetsNoCloseInTheMiddleOfIt()
    {
        // A text frame whose first bytes pass and went upstream, then invalid UTF-8.
        var frame = TestFrames.Frame(TestFrames.Text, [(byte)'o', (byte)'k', (byte)'!', 0xC3, 0x28], masked: true);
        var head = frame.AsMemory(0, frame.Length - 2).ToArray();
        await SendAsync(_client, head);
        Assert.Equal(head, await TestFrames.ReadExactlyAsync(_server.Input, head.Length));
        await SendAsync(_client, frame[^2..]);

        var toClient = await TestFrames.ReadFrameAsync(_client.Input);
        Assert.Equal(1007, TestFrames.CloseCode(toClient.Payload));
        // A close now would be read as the rest of that frame's payload: the upstream only gets the FIN.
        Assert.True(await TestFrames.EndsAsync(_server.Input));

        await BothEndAsync();
        Assert.Equal(WebSocketCloseReason.Violation1007, _tunnel.Reason);
    }

    [Fact]
    public async Task CloseFrameThenMoreInOneRead_TheUpstreamGetsOurClose_ForTheOneThatNeverWent()
    {
        // The client's close and a frame after it (a violation) in one read: none of it goes upstream.
        await SendAsync(_client, [.. TestFrames.CloseFrame(1000, masked: true), .. TestFrames.Frame(TestFrames.Text, "after"u8, masked: true)]);

        var toClient = await TestFrames.ReadFrameAsync(_client.Input);
        Assert.Equal(1002, TestFrames.CloseCode(toClient.Payload));
        var toServer = await TestFrames.ReadFrameAsync(_server.Input);
        Assert.Equal((TestFrames.Close, true), (toServer.Opcode, toServer.Masked));
        Assert.Equal(1002, TestFrames.CloseCode(toServer.Payload));
        Assert.True(await TestFrames.EndsAsync(_server.Input));

        await BothEndAsync();
        Assert.Equal(WebSocketCloseReason.Violation1002, _tunnel.Reason);
    }

    [Fact]
    public async Task FrameOverTheLimit_Closes1009()
    {
        await SendAsync(_server, TestFrames.Frame(TestFrames.Binary, new byte[1025], masked: false));

        var toClient = await TestFrames.ReadFrameAsync(_client.Input);
        Assert.Equal(1009, TestFrames.CloseCode(toClient.Payload));
        var toServer = await TestFrames.ReadFrameAsync(_server.Input);
        Assert.True(toServer.Masked);
        Assert.Equal(1009, TestFrames.CloseCode(toServer.Payload));

        await BothEndAsync();
        Assert.Equal(1, _metrics.Closes(WebSocketCloseReason.Violation1009));
    }

    [Fact]
    public async Task EndForDrain_InsideAFragmentedMessage_ClosesThatSideAfterTheMessage()
    {
        var first = TestFrames.Frame(TestFrames.Text, "part one, "u8, masked: true, fin: false);
        await SendAsync(_client, first);
        Assert.Equal(first, await TestFrames.ReadExactlyAsync(_server.Input, first.Length));

        _tunnel.EndForDrain();

        // The client's side of the tunnel is between messages: its close goes at once.
        var toClient = await TestFrames.ReadFrameAsync(_client.Input);
        Assert.Equal(1001, TestFrames.CloseCode(toClient.Payload));
        Assert.Equal("server shutting down", Encoding.UTF8.GetString(toClient.Payload.AsSpan(2)));
        // The upstream's waits for the rest of the message, which still passes.
        var last = TestFrames.Frame(TestFrames.Continuation, "part two"u8, masked: true);
        await SendAsync(_client, last);
        Assert.Equal(last, await TestFrames.ReadExactlyAsync(_server.Input, last.Length));
        var toServer = await TestFrames.ReadFrameAsync(_server.Input);
        Assert.Equal((TestFrames.Close, true), (toServer.Opcode, toServer.Masked));
        Assert.Equal(1001, TestFrames.CloseCode(toServer.Payload));

        await BothEndAsync();
        Assert.Equal(WebSocketCloseReason.Drain, _tunnel.Reason);
    }

    [Fact]
    public async Task EndForDrain_AfterACloseWentThrough_SendsNoSecondClose()
    {
        var clientClose = TestFrames.CloseFrame(1000, masked: true);
        await SendAsync(_client, clientClose);
        Assert.Equal(clientClose, await TestFrames.ReadExactlyAsync(_server.Input, clientClose.Length));

        _tunnel.EndForDrain();

        // The upstream already has the client's close: only a FIN follows it.
        Assert.True(await TestFrames.EndsAsync(_server.Input));
        var toClient = await TestFrames.ReadFrameAsync(_client.Input);
        Assert.Equal(1001, TestFrames.CloseCode(toClient.Payload));
        await BothEndAsync();
    }

    [Theory]
    [InlineData(true, "idle timeout", WebSocketCloseReason.Idle)]
    [InlineData(false, "max stream duration", WebSocketCloseReason.MaxDuration)]
    public async Task StreamTimeout_SendsGoingAwayToBothSides(bool idle, string reason, WebSocketCloseReason counted)
    {
        var (client, clientSide) = InMemoryTransport.CreatePair();
        var (upstreamSide, server) = InMemoryTransport.CreatePair();
        var address = new IPEndPoint(IPAddress.Loopback, 9);
        var endpoint = new EndpointState(new EndpointModel { Address = "127.0.0.1:9", EndPoint = address, HostHeader = "upstream" }, SocketConnector.Default);
        var metrics = new WebSocketMetrics();
        var timeout = TimeSpan.FromMilliseconds(50);
        var tunnel = new WebSocketTunnel(clientSide.Input, clientSide.Output, new UpstreamConnection(upstreamSide, endpoint, address), loop: null, metrics,
            new WebSocketLimits(1024, 4096, validateUtf8: true), compressionNegotiated: false,
            streamIdle: idle ? timeout : null, maxDuration: idle ? null : timeout);
        var run = tunnel.RunAsync();

        var toClient = await TestFrames.ReadFrameAsync(client.Input);
        Assert.Equal((TestFrames.Close, false), (toClient.Opcode, toClient.Masked));
        Assert.Equal(1001, TestFrames.CloseCode(toClient.Payload));
        Assert.Equal(reason, Encoding.UTF8.GetString(toClient.Payload.AsSpan(2)));
        var toServer = await TestFrames.ReadFrameAsync(server.Input);
        Assert.Equal((TestFrames.Close, true), (toServer.Opcode, toServer.Masked));
        Assert.Equal(1001, TestFrames.CloseCode(toServer.Payload));

        client.Output.Complete();
        server.Output.Complete();
        await run.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(counted, tunnel.Reason);
        Assert.Equal(1, metrics.Closes(counted));
        client.Dispose();
        server.Dispose();
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task CompressedText_PassesOnlyWhenDeflateWasAgreed(bool compressionNegotiated)
    {
        var (client, clientSide) = InMemoryTransport.CreatePair();
        var (upstreamSide, server) = InMemoryTransport.CreatePair();
        var address = new IPEndPoint(IPAddress.Loopback, 9);
        var endpoint = new EndpointState(new EndpointModel { Address = "127.0.0.1:9", EndPoint = address, HostHeader = "upstream" }, SocketConnector.Default);
        var tunnel = new WebSocketTunnel(clientSide.Input, clientSide.Output, new UpstreamConnection(upstreamSide, endpoint, address), loop: null, new WebSocketMetrics(),
            new WebSocketLimits(1024, 4096, validateUtf8: true), compressionNegotiated, streamIdle: null, maxDuration: null);
        var run = tunnel.RunAsync();

        // RSV1 marks a compressed message (RFC 7692): its payload is deflate, not UTF-8.
        var frame = TestFrames.Frame(TestFrames.Text, [0xF2, 0x48, 0xCD, 0xC9, 0xC9, 0x07, 0x00], masked: true);
        frame[0] |= 0x40;
        await client.Output.WriteAsync(frame);

        if (compressionNegotiated)
        {
            Assert.Equal(frame, await TestFrames.ReadExactlyAsync(server.Input, frame.Length));
        }
        else
        {
            var toClient = await TestFrames.ReadFrameAsync(client.Input);
            Assert.Equal(1002, TestFrames.CloseCode(toClient.Payload));
        }
        client.Output.Complete();
        server.Output.Complete();
        await run.WaitAsync(TimeSpan.FromSeconds(10));
        client.Dispose();
        server.Dispose();
    }

    [Fact]
    public async Task PeersThatNeverEnd_AreClosedAfterTheGrace()
    {
        await SendAsync(_client, TestFrames.Frame(TestFrames.Text, "bad"u8, masked: false));
        await TestFrames.ReadFrameAsync(_client.Input);
        await TestFrames.ReadFrameAsync(_server.Input);

        // Neither test end answers or closes: the tunnel ends by itself.
        await _run.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(WebSocketCloseReason.Violation1002, _tunnel.Reason);
    }

    [Fact]
    public async Task ResetBySide_EndsTheTunnel()
    {
        _server.Output.Complete(new IOException("connection reset"));

        // No waiting on the client: the tunnel is over at once, and the connection's owner closes it.
        await _run.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(WebSocketCloseReason.Reset, _tunnel.Reason);
    }
}
