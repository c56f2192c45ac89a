using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;
using FastGate.Functional.Tests.Infrastructure;

namespace FastGate.Functional.Tests.Http2;

/// <summary>
/// A chunked event stream to an HTTP/2 client (h2c): the upstream's chunks pass through the
/// exchange as they are, as to an HTTP/1.1 client (SseChunkPassThroughTests), and the stream makes
/// DATA of them. An origin on raw sockets cuts the chunks where a test wants; the client must get
/// the events exactly, whatever the cuts, the chunk extensions and size forms, and the trailers.
/// </summary>
[Collection(OwnGatewayCollection.Name)]
public sealed class Http2SseChunkPassThroughTests : IAsyncLifetime
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
                await Task.Delay(15);
            }
            socket.Shutdown(SocketShutdown.Send);
        });
        _gateway = await FastGateProcess.StartAsync(UpstreamsFixture.SimpleConfig(_origin.Address, listener: "h2c = true"));
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

    private async Task<(string MediaType, string Body, HttpResponseMessage Response)> GetAsync(string path, params string[] pieces)
    {
        _scripts[path] = pieces;
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(20) };
        using var request = new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{_gateway!.Port}{path}")
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
        var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(HttpVersion.Version20, response.Version);
        var body = await response.Content.ReadAsStringAsync();
        return (response.Content.Headers.ContentType?.MediaType ?? "", body, response);
    }

    [Fact]
    public async Task EventsSplitAcrossChunks_ClientGetsTheStreamIntact()
    {
        foreach (var split in new[] { 1, 6, 17, 30, Events.Length - 1 })
        {
            var (mediaType, body, response) = await GetAsync($"/split/{split}", Head, Chunk(Events[..split]), Chunk(Events[split..]) + "0\r\n\r\n");
            using (response)
            {
                Assert.Equal("text/event-stream", mediaType);
                Assert.Equal(Events, body);
            }
        }
    }

    [Fact]
    public async Task ChunkExtensionsAndSixteenDigitSizes_ClientGetsTheEvents()
    {
        var first = Events[..20];
        var second = Events[20..];
        // A size with leading zeros to 16 digits, as Core's chunked decoder accepts it.
        var padded = $"{Encoding.Latin1.GetByteCount(first):x16}\r\n{first}\r\n";

        var (_, body, response) = await GetAsync("/forms", Head, padded, Chunk(second, ";name=\"value\"") + "0\r\n\r\n");
        using (response)
        {
            Assert.Equal(Events, body);
        }
    }

    [Fact]
    public async Task Trailers_ReachTheClientAsTrailingFields()
    {
        var (_, body, response) = await GetAsync("/trailers", Head, Chunk(Events), "0\r\nx-checksum: abc\r\n\r\n");
        using (response)
        {
            Assert.Equal(Events, body);
            Assert.True(response.TrailingHeaders.TryGetValues("x-checksum", out var values), "no x-checksum trailer");
            Assert.Equal("abc", Assert.Single(values));
        }
    }
}
