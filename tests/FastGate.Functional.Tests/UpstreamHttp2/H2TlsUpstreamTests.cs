using System.Net;
using FastGate.Functional.Tests.Grpc;
using FastGate.Functional.Tests.Infrastructure;
using FastGate.Tools.GrpcService;
using Grpc.Net.Client;

namespace FastGate.Functional.Tests.UpstreamHttp2;

/// <summary>
/// Clusters with protocol = "h2": HTTP/2 over TLS, chosen by ALPN. A server that speaks h2 gets
/// multiplexed requests and gRPC calls; a TLS server that does not select h2 is refused with an
/// error that says so, never sent HTTP/2 frames it would read as a broken HTTP/1.1 request.
/// </summary>
[Collection(OwnGatewayCollection.Name)]
public sealed class H2TlsUpstreamTests : IDisposable
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    private readonly UpstreamTlsFiles _files = new();

    public void Dispose() => _files.Dispose();

    private string TlsKeys => $"protocol = \"h2\"\ntls = true\nca = \"{_files.Ca.Replace("\\", "\\\\")}\"";

    [Fact]
    public async Task H2Cluster_RequestsAndGrpcCallsOverTls()
    {
        await using var upstream = await GrpcServiceProcess.StartAsync("--tls-cert", _files.ServerCert, "--tls-key", _files.ServerKey);
        await using var gateway = await GrpcThroughGatewayTests.StartGatewayAsync(upstream.Address, TlsKeys);
        using var http = Clients.Http11(gateway.BaseUri);
        using var cts = new CancellationTokenSource(Deadline);

        var info = await http.GetStringAsync("/h2/info", cts.Token);
        using var channel = GrpcThroughGatewayTests.Channel(gateway);
        var reply = await new TestService.TestServiceClient(channel).EchoAsync(new EchoRequest { Message = "over tls" }, deadline: DateTime.UtcNow + Deadline);
        var requests = Enumerable.Range(0, 20).Select(i => http.GetStringAsync($"/h2/slow/200?i={i}", cts.Token)).ToArray();
        await Task.WhenAll(requests);

        Assert.Contains("protocol=HTTP/2\n", info);
        Assert.Equal("over tls", reply.Message);
        Assert.Equal("1", await http.GetStringAsync("/h2/connections", cts.Token));
    }

    [Fact]
    public async Task H2Cluster_ServerWithoutH2_RefusedWithAClearError()
    {
        // mock-upstream serves HTTPS for HTTP/1.1 only.
        await using var upstream = await MockUpstreamProcess.StartAsync("http1-only", 0, _files.MockArguments());
        await using var gateway = await GrpcThroughGatewayTests.StartGatewayAsync(upstream.Address, TlsKeys);
        using var http = Clients.Http11(gateway.BaseUri);
        using var cts = new CancellationTokenSource(Deadline);

        using var response = await http.GetAsync("/h2/info", cts.Token);

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        // Either the server refuses the offer (an alert) or picks nothing: the line names ALPN h2.
        await gateway.Process.WaitForLineAsync(l => l.Contains("tls-handshake-failed") && l.Contains("h2") && l.Contains("ALPN"), Deadline);
    }
}
