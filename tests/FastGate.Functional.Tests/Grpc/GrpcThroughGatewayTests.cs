using System.Net;
using FastGate.Functional.Tests.Infrastructure;
using FastGate.Functional.Tests.UpstreamHttp2;
using FastGate.Tools.GrpcService;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;

namespace FastGate.Functional.Tests.Grpc;

/// <summary>
/// Grpc.Net.Client over h2c to FastGate's HTTP/2 front, through an h2c cluster to the gRPC test
/// service: every kind of call works end to end (unary, server, client and bidirectional
/// streaming), statuses and messages of the server arrive as the client expects, large messages
/// pass, and FastGate's own failures reach the client as gRPC statuses.
/// </summary>
[Collection(OwnGatewayCollection.Name)]
public sealed class GrpcThroughGatewayTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    internal static Task<FastGateProcess> StartGatewayAsync(string endpoint, string clusterKeys = "protocol = \"h2c\"") =>
        FastGateProcess.StartAsync($$"""
            [admin]
            listen = "{admin}"
            [log]
            access = "off"
            [[listener]]
            name = "web"
            listen = "{listen}"
            h2c = true
            [[route]]
            name = "grpc"
            path_prefix = "/fastgate.test.TestService/"
            cluster = "grpc"
            timeout = "30s"
            [[route]]
            name = "plain"
            path_prefix = "/h2/"
            cluster = "grpc"
            [cluster.grpc]
            endpoints = ["{{endpoint}}"]
            connect_timeout = "2s"
            {{clusterKeys}}
            """);

    internal static GrpcChannel Channel(FastGateProcess gateway) =>
        GrpcChannel.ForAddress(gateway.BaseUri, new GrpcChannelOptions
        {
            HttpHandler = new SocketsHttpHandler { EnableMultipleHttp2Connections = false },
            MaxReceiveMessageSize = 16 * 1024 * 1024,
            MaxSendMessageSize = 16 * 1024 * 1024,
        });

    private static DateTime CallDeadline => DateTime.UtcNow + Deadline;

    [Fact]
    public async Task Unary_ReplyArrives()
    {
        await using var upstream = await GrpcServiceProcess.StartAsync();
        await using var gateway = await StartGatewayAsync(upstream.Address);
        using var channel = Channel(gateway);
        var client = new TestService.TestServiceClient(channel);

        var reply = await client.EchoAsync(new EchoRequest { Message = "hello" }, deadline: CallDeadline);

        Assert.Equal("hello", reply.Message);
        // The client's deadline went upstream as grpc-timeout.
        Assert.Equal("set", reply.Deadline);
    }

    [Fact]
    public async Task Unary_LargeMessagesBothWays()
    {
        await using var upstream = await GrpcServiceProcess.StartAsync();
        await using var gateway = await StartGatewayAsync(upstream.Address);
        using var channel = Channel(gateway);
        var client = new TestService.TestServiceClient(channel);
        var payload = ByteString.CopyFrom(TestServiceImpl.Pattern(4 * 1024 * 1024 + 5));

        var reply = await client.EchoAsync(new EchoRequest { Message = "big", Payload = payload }, deadline: CallDeadline);

        Assert.Equal(payload.Length, reply.PayloadBytes);
        Assert.Equal(payload, reply.Payload);
    }

    [Fact]
    public async Task ServerStreaming_EveryMessageInOrder()
    {
        await using var upstream = await GrpcServiceProcess.StartAsync();
        await using var gateway = await StartGatewayAsync(upstream.Address);
        using var channel = Channel(gateway);
        var client = new TestService.TestServiceClient(channel);

        using var call = client.ServerStream(new StreamRequest { Message = "s", Count = 200, PayloadBytes = 10_000 }, deadline: CallDeadline);
        var indexes = new List<int>();
        await foreach (var reply in call.ResponseStream.ReadAllAsync())
        {
            Assert.Equal(10_000, reply.Payload.Length);
            indexes.Add(reply.Index);
        }

        Assert.Equal(Enumerable.Range(0, 200), indexes);
        Assert.Equal(StatusCode.OK, call.GetStatus().StatusCode);
    }

    [Fact]
    public async Task ServerStreaming_MessagesArriveAsSent()
    {
        await using var upstream = await GrpcServiceProcess.StartAsync();
        await using var gateway = await StartGatewayAsync(upstream.Address);
        using var channel = Channel(gateway);
        var client = new TestService.TestServiceClient(channel);

        // One message every 300 ms: the first must come long before the last is sent.
        using var call = client.ServerStream(new StreamRequest { Message = "tick", Count = 10, DelayMs = 300 }, deadline: CallDeadline);
        var started = DateTime.UtcNow;
        Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None));
        var first = DateTime.UtcNow - started;
        var count = 1;
        while (await call.ResponseStream.MoveNext(CancellationToken.None))
        {
            count++;
        }

        Assert.Equal(10, count);
        Assert.True(first < TimeSpan.FromMilliseconds(2500), $"first message after {first}");
    }

    [Fact]
    public async Task ClientStreaming_AllMessagesReachTheServer()
    {
        await using var upstream = await GrpcServiceProcess.StartAsync();
        await using var gateway = await StartGatewayAsync(upstream.Address);
        using var channel = Channel(gateway);
        var client = new TestService.TestServiceClient(channel);

        using var call = client.ClientStream(deadline: CallDeadline);
        for (var i = 0; i < 50; i++)
        {
            await call.RequestStream.WriteAsync(new EchoRequest { Message = i.ToString(), Payload = ByteString.CopyFrom(new byte[20_000]) });
        }
        await call.RequestStream.CompleteAsync();
        var reply = await call;

        Assert.Equal(string.Join(",", Enumerable.Range(0, 50)), reply.Message);
        Assert.Equal(50 * 20_000, reply.PayloadBytes);
    }

    [Fact]
    public async Task Bidirectional_EachMessageEchoedBeforeTheNextIsSent()
    {
        await using var upstream = await GrpcServiceProcess.StartAsync();
        await using var gateway = await StartGatewayAsync(upstream.Address);
        using var channel = Channel(gateway);
        var client = new TestService.TestServiceClient(channel);

        using var call = client.Bidi(deadline: CallDeadline);
        for (var i = 0; i < 20; i++)
        {
            await call.RequestStream.WriteAsync(new EchoRequest { Message = $"m{i}" });
            // Ping-pong: the reply must come while the request stream is still open.
            Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None));
            Assert.Equal($"m{i}", call.ResponseStream.Current.Message);
            Assert.Equal(i, call.ResponseStream.Current.Index);
        }
        await call.RequestStream.CompleteAsync();
        Assert.False(await call.ResponseStream.MoveNext(CancellationToken.None));
        Assert.Equal(StatusCode.OK, call.GetStatus().StatusCode);
    }

    [Fact]
    public async Task ServerError_StatusAndDetailReachTheClient()
    {
        await using var upstream = await GrpcServiceProcess.StartAsync();
        await using var gateway = await StartGatewayAsync(upstream.Address);
        using var channel = Channel(gateway);
        var client = new TestService.TestServiceClient(channel);

        var error = await Assert.ThrowsAsync<RpcException>(async () =>
            await client.FailAsync(new FailRequest { Code = (int)StatusCode.NotFound, Detail = "no such thing" }, deadline: CallDeadline));

        Assert.Equal(StatusCode.NotFound, error.StatusCode);
        Assert.Equal("no such thing", error.Status.Detail);
    }

    [Fact]
    public async Task DeadUpstream_Unavailable()
    {
        await using var gateway = await StartGatewayAsync($"127.0.0.1:{FreePort.Next()}");
        using var channel = Channel(gateway);
        var client = new TestService.TestServiceClient(channel);

        var error = await Assert.ThrowsAsync<RpcException>(async () =>
            await client.EchoAsync(new EchoRequest { Message = "x" }, deadline: CallDeadline));

        Assert.Equal(StatusCode.Unavailable, error.StatusCode);
        Assert.Contains("502", error.Status.Detail);
    }

    [Fact]
    public async Task DeadlinePassedUpstream_DeadlineExceeded()
    {
        await using var upstream = await GrpcServiceProcess.StartAsync();
        await using var gateway = await StartGatewayAsync(upstream.Address);
        using var channel = Channel(gateway);
        var client = new TestService.TestServiceClient(channel);

        var error = await Assert.ThrowsAsync<RpcException>(async () =>
            await client.EchoAsync(new EchoRequest { Message = "late", DelayMs = 20_000 }, deadline: DateTime.UtcNow.AddMilliseconds(500)));

        Assert.Equal(StatusCode.DeadlineExceeded, error.StatusCode);
    }

    [Fact]
    public async Task ManyConcurrentCalls_OneUpstreamConnection()
    {
        await using var upstream = await GrpcServiceProcess.StartAsync();
        await using var gateway = await StartGatewayAsync(upstream.Address);
        using var channel = Channel(gateway);
        var client = new TestService.TestServiceClient(channel);

        var calls = Enumerable.Range(0, 60).Select(async i =>
            (await client.EchoAsync(new EchoRequest { Message = $"c{i}", DelayMs = 200 }, deadline: CallDeadline)).Message).ToArray();
        var replies = await Task.WhenAll(calls);

        Assert.Equal(Enumerable.Range(0, 60).Select(i => $"c{i}"), replies);
        using var http = Clients.Http11(gateway.BaseUri);
        Assert.Equal("1", await http.GetStringAsync("/h2/connections"));
    }
}
