using FastGate.Proxy.Tests.Forwarding;

namespace FastGate.Proxy.Tests.WebSockets;

/// <summary>The upstream's 101 is checked against what the client asked for before it reaches the client.</summary>
public class WebSocketHandshakeTests
{
    // The sample key of RFC 6455 §1.3 and its accept value.
    private const string Key = "dGhlIHNhbXBsZSBub25jZQ==";
    private const string Accept = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";

    private static async Task<string> UpgradeAsync(string answer, string offers = "")
    {
        var origin = new InMemoryOrigin("127.0.0.1:9001") { Respond = _ => answer };
        using var gateway = new TestGateway(TestGateway.OneRouteConfig(), origin);
        using var client = gateway.Connect();
        await client.SendAsync($"GET /chat HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: {Key}\r\nSec-WebSocket-Version: 13\r\n{offers}\r\n");
        var text = await client.ReceiveTextAsync(t => t.Contains("\r\n\r\n", StringComparison.Ordinal));
        return text[..(text.IndexOf("\r\n\r\n", StringComparison.Ordinal) + 4)];
    }

    private static string Switch(string headers = "") =>
        $"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {Accept}\r\n{headers}\r\n";

    [Fact]
    public async Task GoodSwitch_GoesToTheClientWithTheChosenProtocolAndExtensions()
    {
        var head = await UpgradeAsync(
            Switch("Sec-WebSocket-Protocol: chat.v2\r\nSec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n"),
            "Sec-WebSocket-Protocol: chat.v1, chat.v2\r\nSec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n");

        Assert.StartsWith("HTTP/1.1 101 Switching Protocols\r\n", head);
        Assert.Contains($"Sec-WebSocket-Accept: {Accept}\r\n", head);
        Assert.Contains("Sec-WebSocket-Protocol: chat.v2\r\n", head);
        Assert.Contains("Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n", head);
        Assert.Contains("Upgrade: websocket\r\n", head);
        Assert.Contains("Connection: Upgrade\r\n", head);
    }

    [Theory]
    [InlineData("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: AAAAAAAAAAAAAAAAAAAAAAAAAAA=\r\n\r\n", "")]
    [InlineData("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n", "")]
    [InlineData("HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: " + Accept + "\r\n\r\n", "")]
    [InlineData("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nSec-WebSocket-Accept: " + Accept + "\r\n\r\n", "")]
    [InlineData("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: " + Accept + "\r\nSec-WebSocket-Protocol: chat.v3\r\n\r\n", "Sec-WebSocket-Protocol: chat.v1, chat.v2\r\n")]
    [InlineData("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: " + Accept + "\r\nSec-WebSocket-Protocol: chat.v1\r\n\r\n", "")]
    [InlineData("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: " + Accept + "\r\nSec-WebSocket-Extensions: permessage-deflate\r\n\r\n", "")]
    public async Task BadSwitch_Answers502(string answer, string offers)
    {
        var head = await UpgradeAsync(answer, offers);

        Assert.StartsWith("HTTP/1.1 502 ", head);
    }

    [Fact]
    public async Task SwitchToARequestThatAskedNoUpgrade_Answers502()
    {
        var origin = new InMemoryOrigin("127.0.0.1:9001") { Respond = _ => Switch() };
        using var gateway = new TestGateway(TestGateway.OneRouteConfig(), origin);
        using var client = gateway.Connect();
        await client.SendAsync("GET /plain HTTP/1.1\r\nHost: a\r\n\r\n");

        Assert.StartsWith("HTTP/1.1 502 ", (await client.ReceiveAsync()).Single());
    }
}
