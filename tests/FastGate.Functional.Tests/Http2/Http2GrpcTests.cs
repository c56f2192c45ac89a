using System.Net;
using FastGate.Functional.Tests.Infrastructure;
using FastGate.Functional.Tests.UpstreamHttp2;
using FastGate.Tools.GrpcService;
using Grpc.Core;
using Grpc.Net.Client;

namespace FastGate.Functional.Tests.Http2;

/// <summary>
/// HTTP/2 on both sides: an h2c client (HttpClient, Grpc.Net.Client) through the downstream front
/// to a cluster with protocol = "h2c". Response trailers cross the HTTP/1.1 front as a chunked
/// trailer section and reach the client as a trailing HEADERS frame.
/// </summary>
[Collection(OwnGatewayCollection.Name)]
public sealed class Http2GrpcTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    private static Task<FastGateProcess> StartGatewayAsync(GrpcServiceProcess upstream) => FastGateProcess.StartAsync($$"""
        [admin]
        listen = "{admin}"
        [log]
        access = "off"
        [[listener]]
        name = "web"
        listen = "{listen}"
        h2c = true
        [[route]]
        name = "all"
        path_prefix = "/"
        cluster = "h2"
        [cluster.h2]
        endpoints = ["{{upstream.Address}}"]
        protocol = "h2c"
        """);

    [Fact]
    public async Task H2cClient_ResponseTrailers_ArriveAsTrailingHeaders()
    {
        await using var upstream = await GrpcServiceProcess.StartAsync();
        await using var gateway = await StartGatewayAsync(upstream);
        using var client = new HttpClient
        {
            BaseAddress = gateway.BaseUri,
            DefaultRequestVersion = HttpVersion.Version20,
            DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Timeout = Deadline,
        };

        using var response = await client.GetAsync("/h2/trailers");
        var body = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpVersion.Version20, response.Version);
        Assert.Equal("body with trailers", body);
        Assert.Equal("abc123", response.TrailingHeaders.GetValues("x-checksum").Single());
    }

    [Fact]
    public async Task GrpcClient_UnaryStreamingAndErrors_WorkThroughTheFront()
    {
        await using var upstream = await GrpcServiceProcess.StartAsync();
        await using var gateway = await StartGatewayAsync(upstream);
        using var channel = GrpcChannel.ForAddress(gateway.BaseUri);
        var client = new TestService.TestServiceClient(channel);
        using var cts = new CancellationTokenSource(Deadline);

        var reply = await client.EchoAsync(new EchoRequest { Message = "hi" }, cancellationToken: cts.Token);
        var streamed = new List<int>();
        using (var call = client.ServerStream(new StreamRequest { Message = "s", Count = 5, PayloadBytes = 10_000 }, cancellationToken: cts.Token))
        {
            await foreach (var item in call.ResponseStream.ReadAllAsync(cts.Token))
            {
                streamed.Add(item.Index);
            }
        }
        using var bidi = client.Bidi(cancellationToken: cts.Token);
        await bidi.RequestStream.WriteAsync(new EchoRequest { Message = "one" }, cts.Token);
        Assert.True(await bidi.ResponseStream.MoveNext(cts.Token));
        var first = bidi.ResponseStream.Current.Message;
        await bidi.RequestStream.CompleteAsync();
        var failure = await Assert.ThrowsAsync<RpcException>(() => client.FailAsync(new FailRequest { Code = (int)StatusCode.NotFound, Detail = "nope" }, cancellationToken: cts.Token).ResponseAsync);

        Assert.Contains("hi", reply.Message);
        Assert.Equal(5, streamed.Count);
        Assert.Contains("one", first);
        Assert.Equal((StatusCode.NotFound, "nope"), (failure.StatusCode, failure.Status.Detail));
    }
}
