using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text;
using FastGate.Functional.Tests.Infrastructure;
using FastGate.Functional.Tests.UpstreamHttp2;
using FastGate.Tools.GrpcService;
using Google.Protobuf;

namespace FastGate.Functional.Tests.Grpc;

/// <summary>
/// gRPC calls written by hand over HTTP/1.1 (what the HTTP/2 front hands the exchange, seen on
/// the wire): a call through an h2c cluster gets its reply and its grpc-status trailer, and the
/// answers FastGate makes itself come as trailers-only gRPC responses with the status a gRPC
/// client understands: UNAVAILABLE for a dead upstream, DEADLINE_EXCEEDED past grpc-timeout,
/// UNIMPLEMENTED with no route.
/// </summary>
[Collection(OwnGatewayCollection.Name)]
public sealed class GrpcLocalAnswerTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    /// <summary>A gRPC message: the 5-byte prefix (not compressed, length) and the protobuf.</summary>
    private static byte[] Frame(IMessage message)
    {
        var payload = message.ToByteArray();
        var frame = new byte[5 + payload.Length];
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(1), (uint)payload.Length);
        payload.CopyTo(frame, 5);
        return frame;
    }

    /// <summary>Sends one request (Connection: close) and returns everything that came back.</summary>
    private static async Task<string> ExchangeAsync(int port, string path, byte[] body, string extraHeaders = "")
    {
        using var cts = new CancellationTokenSource(Deadline);
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(IPAddress.Loopback, port, cts.Token);
        var head = $"POST {path} HTTP/1.1\r\nHost: grpc.test\r\nContent-Type: application/grpc\r\nTE: trailers\r\n{extraHeaders}Content-Length: {body.Length}\r\nConnection: close\r\n\r\n";
        await socket.SendAsync(Encoding.ASCII.GetBytes(head), cts.Token);
        await socket.SendAsync(body, cts.Token);
        var received = new MemoryStream();
        var buffer = new byte[16 * 1024];
        int read;
        while ((read = await socket.ReceiveAsync(buffer, cts.Token)) > 0)
        {
            received.Write(buffer, 0, read);
        }
        return Encoding.Latin1.GetString(received.ToArray());
    }

    private static Task<FastGateProcess> StartGatewayAsync(string endpoint) =>
        FastGateProcess.StartAsync($$"""
            [admin]
            listen = "{admin}"
            [log]
            access = "off"
            [[listener]]
            name = "web"
            listen = "{listen}"
            [[route]]
            name = "grpc"
            path_prefix = "/fastgate.test.TestService/"
            cluster = "grpc"
            timeout = "20s"
            [cluster.grpc]
            endpoints = ["{{endpoint}}"]
            protocol = "h2c"
            connect_timeout = "2s"
            """);

    [Fact]
    public async Task UnaryCall_OverHttp11_ReplyThenGrpcStatusTrailer()
    {
        await using var upstream = await GrpcServiceProcess.StartAsync();
        await using var gateway = await StartGatewayAsync(upstream.Address);

        var text = await ExchangeAsync(gateway.Port, "/fastgate.test.TestService/Echo", Frame(new EchoRequest { Message = "hello over h2c" }));

        Assert.StartsWith("HTTP/1.1 200 OK\r\n", text);
        Assert.Contains("content-type: application/grpc", text, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("hello over h2c", text);
        Assert.EndsWith("\r\n0\r\ngrpc-status: 0\r\n\r\n", text);
    }

    [Fact]
    public async Task ServerError_GrpcStatusAndMessageTrailersPassThrough()
    {
        await using var upstream = await GrpcServiceProcess.StartAsync();
        await using var gateway = await StartGatewayAsync(upstream.Address);

        var text = await ExchangeAsync(gateway.Port, "/fastgate.test.TestService/Fail", Frame(new FailRequest { Code = 9, Detail = "precondition" }));

        Assert.StartsWith("HTTP/1.1 200 OK\r\n", text);
        // A failing unary call is trailers-only on HTTP/2: here one head with the status in it.
        Assert.Contains("\r\ngrpc-status: 9\r\n", text);
        Assert.Contains("\r\ngrpc-message: precondition\r\n", text);
    }

    [Fact]
    public async Task DeadUpstream_TrailersOnlyUnavailable()
    {
        await using var gateway = await StartGatewayAsync($"127.0.0.1:{FreePort.Next()}");

        var text = await ExchangeAsync(gateway.Port, "/fastgate.test.TestService/Echo", Frame(new EchoRequest { Message = "x" }));

        Assert.StartsWith("HTTP/1.1 200 OK\r\n", text);
        Assert.Contains("\r\ncontent-type: application/grpc\r\n", text);
        Assert.Contains("\r\ngrpc-status: 14\r\n", text);
        Assert.Contains("\r\ngrpc-message: fastgate 502 Bad Gateway\r\n", text);
        Assert.EndsWith("\r\ncontent-length: 0\r\nConnection: close\r\n\r\n", text);
    }

    [Fact]
    public async Task GrpcTimeoutShorterThanRoute_DeadlineExceededInTime()
    {
        await using var upstream = await GrpcServiceProcess.StartAsync();
        await using var gateway = await StartGatewayAsync(upstream.Address);
        var started = DateTime.UtcNow;

        var text = await ExchangeAsync(gateway.Port, "/fastgate.test.TestService/Echo", Frame(new EchoRequest { Message = "late", DelayMs = 15_000 }), "grpc-timeout: 300m\r\n");

        Assert.StartsWith("HTTP/1.1 200 OK\r\n", text);
        Assert.Contains("\r\ngrpc-status: 4\r\n", text);
        // The route allows 20 s; the call's own 300 ms deadline ended it long before.
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task NoRoute_Unimplemented()
    {
        await using var gateway = await StartGatewayAsync($"127.0.0.1:{FreePort.Next()}");

        var text = await ExchangeAsync(gateway.Port, "/other.Service/Method", Frame(new EchoRequest()));

        Assert.StartsWith("HTTP/1.1 200 OK\r\n", text);
        Assert.Contains("\r\ngrpc-status: 12\r\n", text);
    }
}
