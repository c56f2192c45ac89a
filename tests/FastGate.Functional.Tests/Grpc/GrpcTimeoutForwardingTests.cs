using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using FastGate.Functional.Tests.Infrastructure;
using FastGate.Functional.Tests.UpstreamHttp2;

namespace FastGate.Functional.Tests.Grpc;

/// <summary>
/// grpc-timeout goes upstream as what is left of the client's deadline, and a call whose deadline
/// ran out before it could go upstream is answered DEADLINE_EXCEEDED by FastGate itself.
/// </summary>
[Collection(OwnGatewayCollection.Name)]
public sealed class GrpcTimeoutForwardingTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    private static double Seconds(string value)
    {
        var amount = double.Parse(value[..^1], CultureInfo.InvariantCulture);
        return value[^1] switch
        {
            'H' => amount * 3600,
            'M' => amount * 60,
            'S' => amount,
            'm' => amount / 1e3,
            'u' => amount / 1e6,
            'n' => amount / 1e9,
            _ => throw new FormatException(value),
        };
    }

    [Fact]
    public async Task GrpcTimeout_UpstreamGetsWhatIsLeft_InEightDigits()
    {
        await using var upstream = await GrpcServiceProcess.StartAsync();
        await using var gateway = await H2cUpstreamTests.StartGatewayAsync(upstream);
        using var client = Clients.Http11(gateway.BaseUri);
        using var cts = new CancellationTokenSource(Deadline);

        using var request = new HttpRequestMessage(HttpMethod.Get, "/h2/info");
        request.Headers.TryAddWithoutValidation("grpc-timeout", "20S");
        using var response = await client.SendAsync(request, cts.Token);
        var info = await response.Content.ReadAsStringAsync(cts.Token);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var line = info.Split('\n').Single(l => l.StartsWith("header grpc-timeout=", StringComparison.Ordinal));
        var forwarded = line["header grpc-timeout=".Length..];
        Assert.InRange(forwarded.Length, 2, 9);
        var seconds = Seconds(forwarded);
        Assert.True(seconds < 20, $"forwarded {forwarded}: not reduced");
        Assert.True(seconds > 10, $"forwarded {forwarded}: far below what was left");
    }

    [Fact]
    public async Task GrpcTimeout_RunOutBeforeGoingUpstream_DeadlineExceededWithoutConnecting()
    {
        // Nothing listens there: had the call gone upstream, it would be UNAVAILABLE (14).
        await using var gateway = await FastGateProcess.StartAsync($$"""
            [admin]
            listen = "{admin}"
            [log]
            access = "off"
            [[listener]]
            name = "web"
            listen = "{listen}"
            [[route]]
            name = "grpc"
            path_prefix = "/"
            cluster = "grpc"
            [cluster.grpc]
            endpoints = ["127.0.0.1:{{FreePort.Next()}}"]
            protocol = "h2c"
            """);
        using var cts = new CancellationTokenSource(Deadline);
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(IPAddress.Loopback, gateway.Port, cts.Token);
        var body = new byte[5];
        var head = $"POST /svc/Method HTTP/1.1\r\nHost: grpc.test\r\nContent-Type: application/grpc\r\nTE: trailers\r\ngrpc-timeout: 1n\r\nContent-Length: {body.Length}\r\nConnection: close\r\n\r\n";
        await socket.SendAsync(Encoding.ASCII.GetBytes(head), cts.Token);
        await socket.SendAsync(body, cts.Token);
        var received = new MemoryStream();
        var buffer = new byte[4096];
        int read;
        while ((read = await socket.ReceiveAsync(buffer, cts.Token)) > 0)
        {
            received.Write(buffer, 0, read);
        }
        var text = Encoding.Latin1.GetString(received.ToArray());

        Assert.StartsWith("HTTP/1.1 200 OK\r\n", text);
        Assert.Contains("\r\ngrpc-status: 4\r\n", text);
        Assert.Contains("\r\ngrpc-message: fastgate 504 Gateway Timeout\r\n", text);
    }
}
