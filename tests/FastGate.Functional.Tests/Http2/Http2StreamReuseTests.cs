using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text.Json;
using FastGate.Functional.Tests.Infrastructure;
using Xunit.Abstractions;

namespace FastGate.Functional.Tests.Http2;

/// <summary>
/// A connection's streams are pooled (stream, bridge, worker, pump): many streams, sequential and
/// concurrent, with bodies both ways and resets in the middle, must each get exactly their own
/// answer on one connection, and a stream must cost next to no allocation once the pool is warm.
/// On an event loop the streams of a connection that ended serve the loop's next connections.
/// </summary>
[Collection(Http2GatewayCollection.Name)]
public sealed class Http2StreamReuseTests(Http2GatewayFixture fixture, ITestOutputHelper output)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task H2c_WavesOfStreamsWithBodies_EachStreamGetsItsOwnAnswerOnOneConnection()
    {
        var connects = 0;
        using var client = H2cClient(() => Interlocked.Increment(ref connects));
        (await client.GetAsync("/mock/")).Dispose();
        var random = new Random(20261203);

        try
        {
            for (var wave = 0; wave < 12; wave++)
            {
                var sizes = Enumerable.Range(0, 24).Select(_ => random.Next(0, 3) == 0 ? random.Next(0, 64) : random.Next(1, 300_000)).ToArray();
                await Task.WhenAll(sizes.Select((size, i) => ExchangeAsync(client, $"w{wave}-s{i}", (wave + i) % 4, size)));
            }
            // And one at a time, so the same few stream objects serve stream after stream.
            for (var i = 0; i < 60; i++)
            {
                await ExchangeAsync(client, $"seq{i}", i % 4, random.Next(0, 40_000));
            }
        }
        catch
        {
            // A connection the daemon ended says why in its log (a defense, a protocol error).
            output.WriteLine(fixture.Gateway.Process.Stderr);
            throw;
        }

        Assert.Equal(1, connects);
    }

    [Fact]
    public async Task H2c_StreamsResetMidway_DoNotDisturbTheOthersOrLaterStreams()
    {
        var connects = 0;
        using var client = H2cClient(() => Interlocked.Increment(ref connects));
        (await client.GetAsync("/mock/")).Dispose();
        var random = new Random(7);

        for (var round = 0; round < 8; round++)
        {
            var victims = new List<Task>
            {
                // Response half read, then dropped: RST_STREAM(CANCEL) while the pump has DATA to send.
                AbandonDownloadAsync(client, $"/mock/bytes/4000000?r={round}"),
                AbandonDownloadAsync(client, $"/mock/chunked/3000000?r={round}"),
                // Cancelled while the upstream has not answered yet.
                CancelAsync(client, HttpMethod.Get, $"/mock/delay/5000?r={round}", content: null),
                // Cancelled in the middle of the request body.
                CancelAsync(client, HttpMethod.Post, $"/mock/echo?r={round}", new StreamContent(new StallingStream(64 * 1024))),
            };
            var others = Enumerable.Range(0, 12).Select(i => ExchangeAsync(client, $"r{round}-o{i}", i % 4, random.Next(0, 200_000)));
            await Task.WhenAll(victims.Concat(others));
        }
        for (var i = 0; i < 40; i++)
        {
            await ExchangeAsync(client, $"after{i}", i % 4, random.Next(0, 100_000));
        }
        // Not one connection here: HttpClient may open another after such resets (it does against
        // the unpooled front too); every answer above was checked to be its own request's.
        output.WriteLine($"connections opened: {connects}");
    }

    [Fact]
    public async Task H2c_ManyStreamsAfterWarmUp_AllocateLittlePerStream()
    {
        const int Requests = 20_000;
        const int Concurrency = 16;
        using var client = H2cClient(() => { });

        async Task RunAsync(int count)
        {
            var issued = 0;
            var failures = 0;
            await Task.WhenAll(Enumerable.Range(0, Concurrency).Select(_ => Task.Run(async () =>
            {
                while (Interlocked.Increment(ref issued) <= count)
                {
                    using var response = await client.GetAsync("/mock/");
                    await response.Content.LoadIntoBufferAsync();
                    if (response.StatusCode != HttpStatusCode.OK)
                    {
                        Interlocked.Increment(ref failures);
                    }
                }
            })));
            Assert.Equal(0, failures);
        }

        // Warm-up: the pool fills to the concurrency, upstream connections open, tiered JIT settles.
        await RunAsync(3_000);
        var before = await fixture.Gateway.MetricsAsync();
        await RunAsync(Requests);
        var after = await fixture.Gateway.MetricsAsync();

        var streams = FastGateProcess.Metric(after, "fastgate_http2_streams_total{listener=\"web\"}") - FastGateProcess.Metric(before, "fastgate_http2_streams_total{listener=\"web\"}");
        var allocated = FastGateProcess.Metric(after, "fastgate_allocated_bytes_total") - FastGateProcess.Metric(before, "fastgate_allocated_bytes_total");
        var perStream = allocated / streams;
        output.WriteLine($"{streams} streams, {allocated} bytes allocated, {perStream:0.0} bytes/stream");
        Assert.Equal(Requests, streams);
        // Before streams were pooled a stream cost about 4 KB (bench/results/2026-12-03-1048-quick.md).
        Assert.True(perStream < PerStreamBudget, $"{perStream:0.0} bytes allocated per stream (budget {PerStreamBudget})");
    }

    private const int PerStreamBudget = 256;

    [Fact]
    public async Task H2c_ConnectionsClosedWithStreamsInFlight_LaterConnectionsGetTheirOwnAnswers()
    {
        // Streams of a connection that ended (some still answering when it closed) serve the
        // next connections of the same loop: each of those must see only its own exchanges.
        var random = new Random(20261205);
        for (var round = 0; round < 10; round++)
        {
            Task<HttpResponseMessage> unanswered;
            using (var closing = H2cClient(() => { }))
            {
                var exchanges = Enumerable.Range(0, 6).Select(i => ExchangeAsync(closing, $"c{round}-x{i}", i % 4, random.Next(0, 100_000)));
                await Task.WhenAll(exchanges);
                // In flight when the connection closes: a download half read, and a request the upstream has not answered.
                using var download = await closing.GetAsync($"/mock/bytes/4000000?round={round}", HttpCompletionOption.ResponseHeadersRead);
                await using (var body = await download.Content.ReadAsStreamAsync())
                {
                    var buffer = new byte[16 * 1024];
                    var read = 0;
                    while (read < 100_000)
                    {
                        var n = await body.ReadAsync(buffer);
                        Assert.True(n > 0, "the response ended early");
                        read += n;
                    }
                }
                unanswered = closing.GetAsync($"/mock/delay/5000?round={round}");
                await Task.Delay(50);
            }
            // Disposing the client closed the connection under both.
            await Assert.ThrowsAnyAsync<Exception>(() => unanswered);
            using var next = H2cClient(() => { });
            await Task.WhenAll(Enumerable.Range(0, 12).Select(i => ExchangeAsync(next, $"n{round}-x{i}", i % 4, random.Next(0, 200_000))));
        }
    }

    [Fact]
    public async Task H2c_NewConnectionsAfterWarmUp_AllocateLittlePerConnection()
    {
        const int Connections = 400;
        if (Environment.GetEnvironmentVariable("FASTGATE_TRANSPORT") == "portable")
        {
            // The pools are the event loops' (a connection of the portable transport runs on none).
            output.WriteLine("portable transport: no per-loop pools to measure");
            return;
        }

        async Task ConnectAsync(int count)
        {
            for (var i = 0; i < count; i++)
            {
                using var client = H2cClient(() => { });
                using var response = await client.GetAsync("/mock/");
                await response.Content.LoadIntoBufferAsync();
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            }
        }

        // Warm-up: each loop's pools (HPACK coders, request builders, streams) fill, tiered JIT settles.
        await ConnectAsync(300);
        var before = await fixture.Gateway.MetricsAsync();
        await ConnectAsync(Connections);
        var after = await fixture.Gateway.MetricsAsync();

        var allocated = FastGateProcess.Metric(after, "fastgate_allocated_bytes_total") - FastGateProcess.Metric(before, "fastgate_allocated_bytes_total");
        var perConnection = allocated / Connections;
        output.WriteLine($"{Connections} connections, {allocated} bytes allocated, {perConnection:0} bytes/connection");
        // A connection whose stream and request builder were its own cost about 10 KB (measured
        // 3.9 KB with them from the loop's pools): what its socket, tasks and stream table need.
        Assert.True(perConnection < PerConnectionBudget, $"{perConnection:0} bytes allocated per connection (budget {PerConnectionBudget})");
    }

    private const int PerConnectionBudget = 8 * 1024;

    /// <summary>
    /// One exchange of four kinds, checked against what only this request could have produced:
    /// 0 a POST with content-length, 1 a POST without (chunked upstream), 2 a fixed-length and 3 a
    /// chunked download of <paramref name="size"/> bytes.
    /// </summary>
    private static async Task ExchangeAsync(HttpClient client, string tag, int kind, int size)
    {
        if (kind <= 1)
        {
            var body = RandomNumberGenerator.GetBytes(size);
            HttpContent content = kind == 0 ? new ByteArrayContent(body) : new StreamContent(new UnknownLengthStream(body));
            using var response = await client.PostAsync($"/mock/echo?tag={tag}", content);
            var text = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"{tag}: {(int)response.StatusCode} {text}");
            var echo = JsonDocument.Parse(text).RootElement;
            Assert.Equal($"tag={tag}", echo.GetProperty("query").GetString());
            Assert.Equal(size, echo.GetProperty("body_length").GetInt32());
            Assert.Equal(Clients.Sha256Hex(body), echo.GetProperty("body_sha256").GetString());
            return;
        }
        var path = kind == 2 ? $"/mock/bytes/{size}?tag={tag}" : $"/mock/chunked/{size}?tag={tag}";
        using (var download = await client.GetAsync(path))
        {
            var bytes = await download.Content.ReadAsByteArrayAsync();
            Assert.True(download.StatusCode == HttpStatusCode.OK, $"{tag}: {(int)download.StatusCode}");
            Assert.Equal(size, bytes.Length);
            Assert.True(bytes.AsSpan().SequenceEqual(Clients.PatternBytes(size)), $"{tag}: the body is not the pattern");
        }
    }

    private static async Task AbandonDownloadAsync(HttpClient client, string path)
    {
        using var response = await client.GetAsync(path, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        await using var stream = await response.Content.ReadAsStreamAsync();
        var buffer = new byte[16 * 1024];
        var read = 0;
        while (read < 100_000)
        {
            var n = await stream.ReadAsync(buffer);
            Assert.True(n > 0, "the response ended early");
            read += n;
        }
        // Disposing the unfinished response resets the stream.
    }

    private static async Task CancelAsync(HttpClient client, HttpMethod method, string path, HttpContent? content)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
        using var request = new HttpRequestMessage(method, path) { Content = content };
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => client.SendAsync(request, cts.Token));
    }

    /// <summary>An HTTP/2-only client of the h2c listener that reports each connection it opens.</summary>
    private HttpClient H2cClient(Action onConnect) => new(new SocketsHttpHandler
    {
        UseProxy = false,
        UseCookies = false,
        ConnectCallback = async (context, cancellationToken) =>
        {
            onConnect();
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, fixture.Gateway.Port), cancellationToken);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        },
    })
    {
        BaseAddress = new Uri($"http://127.0.0.1:{fixture.Gateway.Port}"),
        DefaultRequestVersion = HttpVersion.Version20,
        DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact,
        Timeout = Timeout,
    };

    /// <summary>A body stream that does not say its length, so the client sends no content-length.</summary>
    private sealed class UnknownLengthStream(byte[] data) : MemoryStream(data)
    {
        public override bool CanSeek => false;
    }

    /// <summary>A request body that sends <paramref name="prefix"/> bytes and then never ends (until cancelled).</summary>
    private sealed class StallingStream(int prefix) : Stream
    {
        private int _sent;

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (_sent < prefix)
            {
                var n = Math.Min(buffer.Length, prefix - _sent);
                buffer.Span[..n].Fill((byte)'x');
                _sent += n;
                return n;
            }
            await Task.Delay(System.Threading.Timeout.Infinite, cancellationToken);
            return 0;
        }

        public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
