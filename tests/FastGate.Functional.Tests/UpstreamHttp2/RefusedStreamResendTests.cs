using System.Net;
using System.Security.Cryptography;
using FastGate.Functional.Tests.Infrastructure;

namespace FastGate.Functional.Tests.UpstreamHttp2;

/// <summary>
/// RFC 9113 §8.7: a stream an h2c upstream refused (REFUSED_STREAM) or left above a GOAWAY's
/// last stream id was not processed, so FastGate sends it again on another connection, body and
/// all, even for a POST; the client gets the real answer and the upstream processed the body
/// once. A body past what a stream holds for that, or a server that keeps refusing, fails as
/// before (502).
/// </summary>
[Collection(OwnGatewayCollection.Name)]
public sealed class RefusedStreamResendTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    private static Task<FastGateProcess> StartGatewayAsync(RawH2Upstream upstream) =>
        FastGateProcess.StartAsync($$"""
            [admin]
            listen = "{admin}"
            [log]
            access = "off"
            [[listener]]
            name = "web"
            listen = "{listen}"
            [[route]]
            name = "all"
            path_prefix = "/"
            cluster = "h2"
            [cluster.h2]
            endpoints = ["{{upstream.Address}}"]
            protocol = "h2c"
            """);

    private static async Task<(HttpResponseMessage Response, string Text)> PostAsync(FastGateProcess gateway, byte[] body, bool chunked)
    {
        using var client = Clients.Http11(gateway.BaseUri);
        using var cts = new CancellationTokenSource(Deadline);
        HttpContent content = chunked ? new StreamContent(new MemoryStream(body)) : new ByteArrayContent(body);
        if (chunked)
        {
            content.Headers.ContentLength = null;
        }
        using var request = new HttpRequestMessage(HttpMethod.Post, "/submit") { Content = content };
        request.Headers.TransferEncodingChunked = chunked;
        var response = await client.SendAsync(request, cts.Token);
        return (response, await response.Content.ReadAsStringAsync(cts.Token));
    }

    private static long Metric(string metrics, string name)
    {
        var line = metrics.Split('\n').Single(l => l.StartsWith(name + " ", StringComparison.Ordinal));
        return long.Parse(line[(name.Length + 1)..]);
    }

    [Theory]
    [InlineData(RawH2Upstream.Behaviour.RefuseFirst, false)]
    [InlineData(RawH2Upstream.Behaviour.RefuseFirst, true)]
    [InlineData(RawH2Upstream.Behaviour.GoAwayFirst, false)]
    [InlineData(RawH2Upstream.Behaviour.GoAwayFirst, true)]
    public async Task Post_StreamNotProcessed_SentAgainWithBody_ClientGetsTheAnswer(RawH2Upstream.Behaviour behaviour, bool chunked)
    {
        await using var upstream = new RawH2Upstream(behaviour);
        await using var gateway = await StartGatewayAsync(upstream);
        var body = RandomNumberGenerator.GetBytes(40 * 1024 + 3);

        var (response, text) = await PostAsync(gateway, body, chunked);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var requests = upstream.Requests;
        Assert.Equal(2, requests.Count);
        Assert.False(requests[0].Answered);
        var answered = Assert.Single(requests, r => r.Answered);
        Assert.Equal("POST", answered.Method);
        Assert.Equal(body, answered.Body);
        Assert.Equal(RawH2Upstream.Describe(answered.Connection, answered.StreamId, body), text);
        // Never on the session that refused it (nor on one that said GOAWAY).
        Assert.NotEqual(requests[0].Connection, answered.Connection);
        Assert.Equal(1, Metric(await gateway.MetricsAsync(), "fastgate_http2_upstream_streams_resent_total"));
    }

    [Fact]
    public async Task Post_RefusedEveryTime_ResentTwiceThen502()
    {
        await using var upstream = new RawH2Upstream(RawH2Upstream.Behaviour.RefuseAll);
        await using var gateway = await StartGatewayAsync(upstream);
        var body = RandomNumberGenerator.GetBytes(1000);

        var (response, _) = await PostAsync(gateway, body, chunked: false);

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        // The first try and two resends, each with the whole body.
        Assert.Equal(3, upstream.Requests.Count);
        Assert.All(upstream.Requests, r => Assert.Equal(body, r.Body));
    }

    [Fact]
    public async Task Post_BodyLargerThanHeld_RefusedOnce_502WithoutResend()
    {
        await using var upstream = new RawH2Upstream(RawH2Upstream.Behaviour.RefuseFirst);
        await using var gateway = await StartGatewayAsync(upstream);
        var body = RandomNumberGenerator.GetBytes(64 * 1024 + 1);

        var (response, _) = await PostAsync(gateway, body, chunked: false);

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        Assert.Single(upstream.Requests);
    }
}
