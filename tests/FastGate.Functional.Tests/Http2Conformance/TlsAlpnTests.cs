using static FastGate.Functional.Tests.Http2Conformance.H2FrameBuilder;

namespace FastGate.Functional.Tests.Http2Conformance;

/// <summary>
/// The same front over TLS, h2 chosen by ALPN (an independent suite may well run there): the
/// preface and SETTINGS, a request, PING, a connection error of each family, and a flood, on a
/// listener with every default.
/// </summary>
[Collection(Http2ConformanceCollection.Name)]
public sealed class TlsAlpnTests(Http2GatewayFixture fixture) : H2TestBase(fixture)
{
    private async Task<H2Client> OpenTlsAsync()
    {
        var client = Track(await H2Client.ConnectTlsAsync(Fixture.Tls.Port, "a.test", Fixture.Pki.Authority));
        await client.HandshakeAsync();
        return client;
    }

    private static byte[] Get(H2Client client, uint streamId, string path = "/") =>
        Headers(streamId, H2RequestBlock.Request(client.Port, "GET", path).ToArray(), endStream: true);

    [Fact]
    public async Task Tls_3_4_AlpnH2_ServerPrefaceIsSettingsWithDefaults()
    {
        var client = await OpenTlsAsync();
        Assert.Equal(128u, client.ServerSettings[H2Setting.MAX_CONCURRENT_STREAMS]);
        Assert.True(client.ServerSettings.GetValueOrDefault(H2Setting.ENABLE_PUSH, 0u) == 0, "a server announces SETTINGS_ENABLE_PUSH 0 or nothing");
    }

    [Fact]
    public async Task Tls_8_Get_IsAnswered()
    {
        var client = await OpenTlsAsync();
        await client.SendAsync(Get(client, 1));
        var response = await client.ResponseAsync(1);
        Assert.Equal(200, response.Status);
        Assert.Equal("Hello World!", System.Text.Encoding.ASCII.GetString(response.Body));
    }

    [Fact]
    public async Task Tls_6_9_LargeResponse_ArrivesWhole()
    {
        var client = await OpenTlsAsync();
        await client.SendAsync(Get(client, 1, "/bytes/2000000"));
        var response = await client.ResponseAsync(1, TimeSpan.FromSeconds(30));
        Assert.Equal(Infrastructure.Clients.Sha256Hex(Infrastructure.Clients.PatternBytes(2000000)), Infrastructure.Clients.Sha256Hex(response.Body));
    }

    [Fact]
    public async Task Tls_6_7_Ping_IsAnswered()
    {
        var client = await OpenTlsAsync();
        await client.SendAsync(Ping(PingData));
        await client.PingAckAsync(PingData);
    }

    [Fact]
    public async Task Tls_6_5_SettingsAckWithPayload_IsFrameSizeError()
    {
        var client = await OpenTlsAsync();
        await client.SendAsync(Raw(1, H2Type.SETTINGS, H2Flag.ACK, 0, [0]));
        await client.ConnectionErrorAsync(H2Error.FRAME_SIZE_ERROR);
    }

    [Fact]
    public async Task Tls_Hpack_6_1_IndexZero_IsCompressionError()
    {
        var client = await OpenTlsAsync();
        await client.SendAsync(Headers(1, H2RequestBlock.Request(client.Port).RawHex("80").ToArray(), endStream: true));
        await client.ConnectionErrorAsync(H2Error.COMPRESSION_ERROR);
    }

    [Fact]
    public async Task Tls_8_1_2_UppercaseFieldName_IsProtocolError()
    {
        var client = await OpenTlsAsync();
        await client.SendAsync(Headers(1, H2RequestBlock.Request(client.Port).Field("X-TEST", "ok").ToArray(), endStream: true));
        await client.StreamErrorAsync(1, H2Error.PROTOCOL_ERROR);
    }

    [Fact]
    public async Task Tls_Defense_PingFloodOverDefaultBucket_GoAwayEnhanceYourCalm()
    {
        var client = await OpenTlsAsync();
        var goaway = client.GoAwayAsync(H2Error.ENHANCE_YOUR_CALM, TimeSpan.FromSeconds(20));
        for (var i = 0; i < 3000 && !goaway.IsCompleted && !client.SendFailed; i += 100)
        {
            var frames = new byte[100][];
            for (var j = 0; j < frames.Length; j++)
            {
                frames[j] = Ping(BitConverter.GetBytes((long)(i + j)));
            }
            await client.SendAsync(Concat(frames));
        }
        await goaway;
    }
}
