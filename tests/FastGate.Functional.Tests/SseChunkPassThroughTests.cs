using System.Collections.Concurrent;
using System.Net.Sockets;
using System.Text;
using FastGate.Functional.Tests.Infrastructure;

namespace FastGate.Functional.Tests;

/// <summary>
/// A chunked event stream to an HTTP/1.1 client keeps the upstream's chunks: these tests drive
/// the daemon with an origin on raw sockets that writes chunks cut wherever a test wants, and
/// check that the client gets the stream's bytes exactly (events split across chunks, chunk
/// extensions, trailers), and that bad framing from the upstream ends the client's connection
/// without one byte of it reaching the client.
/// </summary>
[Collection(OwnGatewayCollection.Name)]
public sealed class SseChunkPassThroughTests : IAsyncLifetime
{
    private const string Head = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n";
    private const string Events = "id: 1\ndata: one\n\nid: 2\r\nevent: tick\r\ndata: two\r\n\r\n";

    // Path -> the pieces the origin writes, one write each, a pause between.
    private readonly ConcurrentDictionary<string, string[]> _scripts = new();
    private L4TestServer? _origin;
    private FastGateProcess? _gateway;

    public async Task InitializeAsync()
    {
        _origin = new L4TestServer(async (socket, stream) =>
        {
            var head = await WebSocketWire.ReadHeadAsync(stream);
            var path = head?.Split(' ')[1];
            if (path is null || !_scripts.TryGetValue(path, out var pieces))
            {
                return;
            }
            foreach (var piece in pieces)
            {
                await stream.WriteAsync(Encoding.Latin1.GetBytes(piece));
                await stream.FlushAsync();
                // Apart, so that each piece is most likely a read of its own at the gateway.
                await Task.Delay(15);
            }
            socket.Shutdown(SocketShutdown.Send);
        });
        _gateway = await FastGateProcess.StartAsync(UpstreamsFixture.SimpleConfig(_origin.Address));
    }

    public async Task DisposeAsync()
    {
        if (_gateway is not null)
        {
            await _gateway.DisposeAsync();
        }
        if (_origin is not null)
        {
            await _origin.DisposeAsync();
        }
    }

    private static string Chunk(string data, string extension = "") => $"{Encoding.Latin1.GetByteCount(data):x}{extension}\r\n{data}\r\n";

    private async Task<(string Head, string Body, bool Closed)> GetAsync(string path, params string[] pieces)
    {
        _scripts[path] = pieces;
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var (bytes, closed) = await SseWire.RawGetAsync(_gateway!.Port, path, cts.Token);
        var text = Encoding.Latin1.GetString(bytes);
        var end = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        Assert.True(end > 0, $"no response head: '{text}'");
        return (text[..end], text[(end + 4)..], closed);
    }

    [Fact]
    public async Task EventsSplitAcrossChunks_AtEveryPosition_ClientGetsTheStreamIntact()
    {
        for (var split = 1; split < Events.Length; split++)
        {
            var chunks = Chunk(Events[..split]) + Chunk(Events[split..]) + "0\r\n\r\n";

            var (head, body, closed) = await GetAsync($"/split/{split}", Head, Chunk(Events[..split]), Chunk(Events[split..]) + "0\r\n\r\n");

            Assert.True(closed, $"split {split}: the response did not end");
            Assert.StartsWith("HTTP/1.1 200", head);
            Assert.Contains("transfer-encoding: chunked", head, StringComparison.OrdinalIgnoreCase);
            Assert.Equal(chunks, body);
            var (_, decoded, lastChunk) = SseWire.DecodeChunked(Encoding.Latin1.GetBytes(head + "\r\n\r\n" + body));
            Assert.True(lastChunk, $"split {split}: no last chunk");
            Assert.Equal(Events, Encoding.Latin1.GetString(decoded));
        }
    }

    [Fact]
    public async Task WireSplitAtEveryByte_ExtensionsAndTrailers_ReachTheClientAsTheyCame()
    {
        // Chunk extensions (a token, a quoted string with a ';' inside), events across chunks, trailer fields.
        var wire = Chunk(Events[..10], ";ext=1") + Chunk(Events[10..30], ";q=\"a;b\"") + Chunk(Events[30..])
            + "0;end=yes\r\nx-checksum: abc\r\nx-events: 2\r\n\r\n";
        for (var split = 1; split < wire.Length; split++)
        {
            var (_, body, closed) = await GetAsync($"/wire/{split}", Head, wire[..split], wire[split..]);

            Assert.True(closed, $"split {split}: the response did not end");
            Assert.Equal(wire, body);
        }
    }

    [Theory]
    // A chunk size that is not hex.
    [InlineData("zz\r\nGARBAGE\r\n")]
    // Chunk data longer than its size says (no CRLF where the size ends it): the 5 bytes are data, the rest is not.
    [InlineData("5\r\nhelloGARBAGE\r\n")]
    // Whitespace in the size line without an extension (a request smuggling vector).
    [InlineData("5 \r\nGARBA\r\n")]
    // A bare LF after the size.
    [InlineData("7\nGARBAGE\r\n")]
    public async Task MalformedChunkFromUpstream_ClientConnectionEndsWithoutIt(string bad)
    {
        var good = Chunk("id: 1\ndata: one\n\n");
        var path = $"/bad/{Convert.ToHexString(Encoding.ASCII.GetBytes(bad))}";

        var (head, body, closed) = await GetAsync(path, Head, good, bad, Chunk("id: 2\ndata: two\n\n") + "0\r\n\r\n");

        Assert.True(closed, "the connection was not ended");
        Assert.StartsWith("HTTP/1.1 200", head);
        // The good event went out; not a byte of the bad chunk, nor anything after it, and no last chunk.
        Assert.StartsWith(good, body, StringComparison.Ordinal);
        Assert.DoesNotContain("GARB", body, StringComparison.Ordinal);
        Assert.DoesNotContain("two", body, StringComparison.Ordinal);
        var (_, decoded, lastChunk) = SseWire.DecodeChunked(Encoding.Latin1.GetBytes(head + "\r\n\r\n" + body));
        Assert.False(lastChunk, "a cut stream was ended as if whole");
        Assert.StartsWith("id: 1\ndata: one\n\n", Encoding.Latin1.GetString(decoded), StringComparison.Ordinal);
    }

    [Fact]
    public async Task UpstreamClosesInsideAChunk_ClientConnectionEndsWithoutALastChunk()
    {
        var (_, body, closed) = await GetAsync("/short", Head, Chunk("id: 1\ndata: one\n\n"), "40\r\nid: 2\ndata: tw");

        Assert.True(closed);
        var (_, decoded, lastChunk) = SseWire.DecodeChunked(Encoding.Latin1.GetBytes("HTTP/1.1 200 OK\r\n\r\n" + body));
        Assert.False(lastChunk, "a cut stream was ended as if whole");
        Assert.StartsWith("id: 1\ndata: one\n\n", Encoding.Latin1.GetString(decoded), StringComparison.Ordinal);
    }
}
