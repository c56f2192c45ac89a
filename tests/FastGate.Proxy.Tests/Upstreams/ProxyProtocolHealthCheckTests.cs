using System.Net;
using System.Net.Sockets;
using System.Text;
using FastGate.Core.ProxyProtocol;
using FastGate.Proxy.Config;
using FastGate.Proxy.Upstreams;

namespace FastGate.Proxy.Tests.Upstreams;

/// <summary>An upstream behind a cluster with proxy_protocol requires the header on every connection, checks included.</summary>
public sealed class ProxyProtocolHealthCheckTests
{
    private static async Task<byte[]> CheckAndCaptureAsync(HealthCheckModel model)
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var check = HealthCheckProbe.RunAsync(listener.LocalEndpoint, model, "api.internal", cts.Token);
        using var socket = await listener.AcceptSocketAsync(cts.Token);
        var received = new List<byte>();
        var buffer = new byte[1024];
        while (!Encoding.Latin1.GetString(received.ToArray()).EndsWith("\r\n\r\n", StringComparison.Ordinal))
        {
            var read = await socket.ReceiveAsync(buffer, SocketFlags.None, cts.Token);
            Assert.True(read > 0, "the check closed before its request was whole");
            received.AddRange(buffer.AsSpan(0, read).ToArray());
        }
        await socket.SendAsync("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"u8.ToArray(), SocketFlags.None, cts.Token);
        Assert.True((await check).Passed);
        return [.. received];
    }

    [Fact]
    public async Task HttpCheck_ClusterWithV2_StartsWithALocalHeader()
    {
        var sent = await CheckAndCaptureAsync(new HealthCheckModel { Path = "/healthz", Timeout = TimeSpan.FromSeconds(20), ProxyProtocol = ProxyVersion.V2 });

        Assert.Equal(ProxyReadStatus.Done, ProxyProtocolReader.TryRead(sent, out var header, out _));
        Assert.Equal(ProxyCommand.LOCAL, header.Command);
        Assert.StartsWith("GET /healthz HTTP/1.1\r\n", Encoding.Latin1.GetString(sent, header.Length, sent.Length - header.Length));
    }

    [Fact]
    public async Task HttpCheck_ClusterWithV1_StartsWithProxyUnknown()
    {
        var sent = await CheckAndCaptureAsync(new HealthCheckModel { Path = "/healthz", Timeout = TimeSpan.FromSeconds(20), ProxyProtocol = ProxyVersion.V1 });

        Assert.StartsWith("PROXY UNKNOWN\r\nGET /healthz HTTP/1.1\r\n", Encoding.Latin1.GetString(sent));
    }

    [Fact]
    public async Task HttpCheck_ClusterWithoutProxyProtocol_SendsOnlyTheRequest()
    {
        var sent = await CheckAndCaptureAsync(new HealthCheckModel { Path = "/healthz", Timeout = TimeSpan.FromSeconds(20) });

        Assert.StartsWith("GET /healthz HTTP/1.1\r\n", Encoding.Latin1.GetString(sent));
    }

    [Fact]
    public void Load_ClusterWithProxyProtocolAndChecks_GivesTheChecksTheVersion()
    {
        var result = ConfigLoader.LoadFromText("""
            [[listener]]
            name = "web"
            listen = "127.0.0.1:8080"
            [cluster.pg]
            endpoints = ["127.0.0.1:15432"]
            proxy_protocol = "v2"
            [cluster.pg.health]
            path = "/healthz"
            """, "test.toml");

        Assert.True(result.IsValid, string.Join("\n", result.Errors));
        Assert.Equal(ProxyVersion.V2, result.Model!.Clusters["pg"].Health!.ProxyProtocol);
    }
}
