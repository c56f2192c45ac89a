using System.Net;
using System.Net.Sockets;
using System.Text;
using FastGate.Functional.Tests.Infrastructure;

namespace FastGate.Functional.Tests;

/// <summary>A client that stops reading cannot hold a connection past idle_timeout.</summary>
[Collection(OwnGatewayCollection.Name)]
public sealed class StalledClientTests(UpstreamsFixture upstreams)
{
    [Fact]
    public async Task Get_BigResponseNeverRead_ConnectionClosedAfterIdleTimeout()
    {
        await using var gateway = await FastGateProcess.StartAsync(UpstreamsFixture.SimpleConfig(upstreams.A.Address, defaults: "idle_timeout = \"1s\""));
        var before = await gateway.MetricsAsync();
        var baseline = FastGateProcess.Metric(before, "fastgate_active_connections");
        var acceptedBefore = FastGateProcess.Metric(before, "fastgate_connections_total");
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { ReceiveBufferSize = 4096 };
        await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, gateway.Port));

        await socket.SendAsync(Encoding.ASCII.GetBytes("GET /bytes/200000000 HTTP/1.1\r\nHost: x\r\n\r\n"), SocketFlags.None);

        // Nothing is read from here on. The idle timeout is 1 s; the margin is for a loaded machine.
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (true)
        {
            var metrics = await gateway.MetricsAsync();
            var accepted = FastGateProcess.Metric(metrics, "fastgate_connections_total") > acceptedBefore;
            if (accepted && FastGateProcess.Metric(metrics, "fastgate_active_connections") == baseline)
            {
                break;
            }
            await Task.Delay(100, timeout.Token);
        }
    }
}
