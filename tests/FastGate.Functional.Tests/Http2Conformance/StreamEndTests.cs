using FastGate.Functional.Tests.Infrastructure;
using static FastGate.Functional.Tests.Http2Conformance.H2FrameBuilder;

namespace FastGate.Functional.Tests.Http2Conformance;

/// <summary>
/// RFC 9113 §5.1 and §8.1: a stream whose request ended (END_STREAM) and whose response ended is
/// closed; nothing follows for it. RST_STREAM NO_ERROR is for a client still sending after a
/// complete response, never for one that had finished. The exchange may run on another thread
/// than the connection's read loop (TLS, the portable transport), so the request's end must count
/// before the exchange can see it.
/// </summary>
[Collection(Http2ConformanceCollection.Name)]
public sealed class StreamEndTests(Http2GatewayFixture fixture) : H2TestBase(fixture)
{
    private const int Rounds = 10;
    private const int StreamsPerRound = 20;
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task CompleteExchanges_H2c_NoResetFollows()
    {
        var client = await OpenAsync();
        await ExchangeWithoutResetAsync(client);
    }

    [Fact]
    public async Task CompleteExchanges_Tls_NoResetFollows()
    {
        var client = Track(await H2Client.ConnectTlsAsync(Fixture.Tls.Port, "a.test", Fixture.Pki.Authority));
        await client.HandshakeAsync();
        await ExchangeWithoutResetAsync(client);
    }

    /// <summary>
    /// Rounds of requests that end their streams (GETs, POSTs whose body ends them; answers with a
    /// body and without), each whole response read, then a PING
    /// whose ACK comes after anything the daemon wrote for those streams: no RST_STREAM among it.
    /// </summary>
    private static async Task ExchangeWithoutResetAsync(H2Client client)
    {
        uint next = 1;
        for (var round = 0; round < Rounds; round++)
        {
            var frames = new List<byte[]>();
            var open = new HashSet<uint>();
            for (var i = 0; i < StreamsPerRound; i++)
            {
                var id = next;
                next += 2;
                open.Add(id);
                switch (i % 4)
                {
                    case 0:
                        frames.Add(Headers(id, client.Request("POST", "/echo").ToArray(), endStream: false));
                        frames.Add(Data(id, "hello", endStream: true));
                        break;
                    case 1:
                        frames.Add(Headers(id, client.Request("GET", "/").ToArray(), endStream: true));
                        break;
                    case 2:
                        // A response that ends with its HEADERS, handed over by the exchange's own thread.
                        frames.Add(Headers(id, client.Request("GET", "/status/204").ToArray(), endStream: true));
                        break;
                    default:
                        frames.Add(Headers(id, client.Request("POST", "/status/204").Field("content-length", "5").ToArray(), endStream: false));
                        frames.Add(Data(id, "hello", endStream: true));
                        break;
                }
            }
            await client.SendAsync([.. frames]);
            await client.UntilAsync($"whole responses on {StreamsPerRound} streams, no RST_STREAM", frame => frame switch
            {
                null => false,
                { Type: H2Type.RST_STREAM } or { Type: H2Type.GOAWAY } => false,
                { EndStream: true } ended when open.Remove(ended.StreamId) => open.Count == 0 ? true : null,
                _ => null,
            }, Long);
            var opaque = BitConverter.GetBytes((long)round);
            await client.SendAsync(Ping(opaque));
            await client.UntilAsync("PING ACK, with no RST_STREAM for the streams that ended before it", frame => frame switch
            {
                null => false,
                { Type: H2Type.RST_STREAM } => false,
                { Type: H2Type.PING } ping when ping.IsAck && ping.Payload.AsSpan().SequenceEqual(opaque) => true,
                _ => null,
            }, Long);
        }
    }
}
