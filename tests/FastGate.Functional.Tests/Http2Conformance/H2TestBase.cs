using FastGate.Functional.Tests.Infrastructure;
using static FastGate.Functional.Tests.Http2Conformance.H2FrameBuilder;

namespace FastGate.Functional.Tests.Http2Conformance;

/// <summary>
/// What every conformance case starts from: a raw client on a new connection to the daemon
/// (h2spec opens one per case), the handshake done, and short ways to write the usual frames.
/// Clients are closed after each case.
/// </summary>
public abstract class H2TestBase(Http2GatewayFixture fixture) : IAsyncLifetime
{
    /// <summary>The value h2spec pads its dummy header fields to.</summary>
    protected static readonly string Dummy = new('x', 4000);

    protected static readonly byte[] PingData = "h2spec\0\0"u8.ToArray();

    private readonly List<H2Client> _clients = [];

    protected Http2GatewayFixture Fixture => fixture;

    /// <summary>Closes <paramref name="client"/> after the case.</summary>
    protected H2Client Track(H2Client client)
    {
        _clients.Add(client);
        return client;
    }

    protected async Task<H2Client> ConnectAsync(FastGateProcess? gateway = null, int receiveBufferSize = 0)
    {
        var client = await H2Client.ConnectAsync((gateway ?? fixture.Gateway).Port, receiveBufferSize);
        _clients.Add(client);
        return client;
    }

    /// <summary>A connection to the conformance gateway with the handshake done.</summary>
    protected async Task<H2Client> OpenAsync(params (ushort Id, uint Value)[] settings)
    {
        var client = await ConnectAsync();
        await client.HandshakeAsync(settings);
        return client;
    }

    protected async Task<H2Client> OpenAsync(FastGateProcess gateway, params (ushort Id, uint Value)[] settings)
    {
        var client = await ConnectAsync(gateway);
        await client.HandshakeAsync(settings);
        return client;
    }

    /// <summary>HEADERS for GET / (or another method and path), END_HEADERS set.</summary>
    protected static byte[] Request(H2Client client, uint streamId, bool endStream = true, string method = "GET", string path = "/") =>
        Headers(streamId, client.Request(method, path).ToArray(), endStream);

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var client in _clients)
        {
            await client.DisposeAsync();
        }
    }
}
