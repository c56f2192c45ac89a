using System.Net;
using FastGate.Functional.Tests.Infrastructure;
using static FastGate.Functional.Tests.Http2Conformance.H2FrameBuilder;

namespace FastGate.Functional.Tests.Http2Conformance;

/// <summary>
/// Defenses across connections: a connection that keeps sending header blocks answered 431 is
/// ended, and an address whose connections keep being ended by defenses has its new HTTP/2
/// connections refused (GOAWAY ENHANCE_YOUR_CALM right after the server's SETTINGS, counted as
/// address_blocked) until its strike window ends, while a client from another loopback address
/// (127.0.0.2) is served all along. Each test runs a daemon of its own, with 2 strikes allowed
/// within a short window, so one test's strikes never reach another.
/// </summary>
[Collection(OwnGatewayCollection.Name)]
public sealed class AddressStrikeTests : IAsyncLifetime
{
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(20);
    private static readonly IPAddress Attacker = IPAddress.Parse("127.0.0.3");
    private static readonly IPAddress Bystander = IPAddress.Parse("127.0.0.2");
    // Long enough that three floods land in one window on a loaded box, short enough to wait out.
    private const string Window = "10s";

    private MockUpstreamProcess? _upstream;
    private FastGateProcess? _gateway;
    private readonly List<H2Client> _clients = [];

    private FastGateProcess Gateway => _gateway!;

    public async Task InitializeAsync()
    {
        _upstream = await MockUpstreamProcess.StartAsync("h2");
        _gateway = await FastGateProcess.StartAsync(Http2GatewayFixture.Config(_upstream.Address, $"""
            [http2]
            max_header_list_size = "8KiB"
            max_control_frames_per_second = 50
            max_defense_strikes_per_address = 2
            defense_strike_window = "{Window}"
            """));
    }

    public async Task DisposeAsync()
    {
        foreach (var client in _clients)
        {
            await client.DisposeAsync();
        }
        if (_gateway is not null)
        {
            await _gateway.DisposeAsync();
        }
        if (_upstream is not null)
        {
            await _upstream.DisposeAsync();
        }
    }

    private async Task<H2Client> ConnectAsync(IPAddress from)
    {
        var client = await H2Client.ConnectAsync(Gateway.Port, from: from);
        _clients.Add(client);
        return client;
    }

    private async Task<H2Client> OpenAsync(IPAddress from)
    {
        var client = await ConnectAsync(from);
        await client.HandshakeAsync();
        return client;
    }

    private async Task<double> CounterAsync(string kind)
    {
        var prefix = $"fastgate_http2_defense_total{{listener=\"{Http2GatewayFixture.Listener}\",kind=\"{kind}\"}} ";
        foreach (var line in (await Gateway.MetricsAsync()).Split('\n'))
        {
            if (line.StartsWith(prefix, StringComparison.Ordinal))
            {
                return double.Parse(line[prefix.Length..], System.Globalization.CultureInfo.InvariantCulture);
            }
        }
        return 0;
    }

    /// <summary>A header block of about 1 KiB that decodes past the 8 KiB list limit (an HPACK bomb).</summary>
    private static byte[] Bomb(H2Client client, uint streamId)
    {
        var bomb = client.Request().IndexedLiteral($"x-bomb{streamId}", new string('b', 1000));
        for (var i = 0; i < 12; i++)
        {
            bomb.Indexed(62);
        }
        return Headers(streamId, bomb.ToArray(), endStream: true);
    }

    /// <summary>A PING flood past the control-frame bucket: the defense ends the connection, a strike for its address.</summary>
    private async Task FloodAsync(IPAddress from)
    {
        var client = await OpenAsync(from);
        var goaway = client.GoAwayAsync(H2Error.ENHANCE_YOUR_CALM, Long);
        for (var i = 0; i < 20 && !goaway.IsCompleted && !client.SendFailed; i++)
        {
            await client.SendAsync(Concat([.. Enumerable.Range(0, 20).Select(j => Ping(BitConverter.GetBytes((long)(i * 20 + j))))]));
        }
        await goaway;
        await client.ConnectionCloseAsync(Long);
    }

    /// <summary>A GET / on a new connection from <paramref name="from"/>: its status, or null when the connection was refused.</summary>
    private async Task<int?> TryGetAsync(IPAddress from)
    {
        var client = await ConnectAsync(from);
        await client.SendAsync(Preface, Settings((H2Setting.INITIAL_WINDOW_SIZE, 65535)));
        await client.SendAsync(SettingsAck(), Headers(1, client.Request().ToArray(), endStream: true));
        var outcome = await client.UntilAsync("a response on stream 1 or GOAWAY", frame => frame switch
        {
            null => true,
            { Type: H2Type.GOAWAY } => true,
            { Type: H2Type.HEADERS, StreamId: 1 } => true,
            _ => null,
        }, Long);
        return outcome is { Type: H2Type.HEADERS } head ? int.Parse(head.Field(":status")!) : null;
    }

    [Fact]
    public async Task RepeatedHeaderListRefusals_OnOneConnection_GoAwayEnhanceYourCalm()
    {
        var before = await CounterAsync("header_list");
        var client = await OpenAsync(Attacker);

        // Eight bombs are answered 431 each; the ninth ends the connection.
        for (uint i = 0; i < 8; i++)
        {
            var stream = 1 + 2 * i;
            await client.SendAsync(Bomb(client, stream));
            var refused = await client.HeadersAsync(stream);
            Assert.Equal("431", refused.Field(":status"));
        }
        await client.SendAsync(Bomb(client, 17));
        var goaway = await client.GoAwayAsync(H2Error.ENHANCE_YOUR_CALM, Long);

        Assert.True(goaway.LastStreamId >= 15, $"GOAWAY must carry the last stream processed; got {goaway}");
        Assert.True(await CounterAsync("header_list") >= before + 9);
    }

    [Fact]
    public async Task AddressPastItsStrikes_Refused_OtherAddressServed_ThenServedAgainAfterTheWindow()
    {
        Assert.Equal(200, await TryGetAsync(Attacker));
        // Two strikes are allowed; the third blocks the address.
        for (var i = 0; i < 3; i++)
        {
            await FloodAsync(Attacker);
        }
        var blockedBefore = await CounterAsync("address_blocked");

        var refusedAt = DateTime.UtcNow;
        var refused = await ConnectAsync(Attacker);
        await refused.SendAsync(Preface, Settings((H2Setting.INITIAL_WINDOW_SIZE, 65535)));
        var settings = await refused.UntilAsync("the server's SETTINGS", f => f is null ? false : f.Type == H2Type.SETTINGS && !f.IsAck ? true : null, Long);
        Assert.NotNull(settings);
        var goaway = await refused.GoAwayAsync(H2Error.ENHANCE_YOUR_CALM, Long);
        Assert.Equal(0u, goaway.LastStreamId);
        await refused.ConnectionCloseAsync(Long);
        Assert.True(await CounterAsync("address_blocked") > blockedBefore);

        // A client from another address is not touched.
        Assert.Equal(200, await TryGetAsync(Bystander));
        Assert.Equal(200, await TryGetAsync(Bystander));

        // Served again once the window (counted from the first strike) has ended.
        int? status = null;
        var deadline = refusedAt + TimeSpan.FromSeconds(40);
        while (DateTime.UtcNow < deadline && (status = await TryGetAsync(Attacker)) is null)
        {
            await Task.Delay(500);
        }
        Assert.Equal(200, status);
    }
}
