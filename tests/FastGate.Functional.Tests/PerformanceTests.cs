using System.Diagnostics;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text.Json;
using FastGate.Functional.Tests.Infrastructure;
using Xunit.Abstractions;

namespace FastGate.Functional.Tests;

/// <summary>Memory behaviour users depend on: bodies stream, and the hot path does not allocate per request.</summary>
[Collection(OwnGatewayCollection.Name)]
public sealed class PerformanceTests(UpstreamsFixture upstreams, ITestOutputHelper output)
{
    private const long BodySize = 200_000_000;
    private const long MaxRssGrowth = 100L * 1024 * 1024;

    /// <summary>Samples the daemon's RSS every 20 ms until disposed; <see cref="Peak"/> is the highest seen.</summary>
    private sealed class RssSampler : IAsyncDisposable
    {
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _loop;
        private long _peak;

        public RssSampler(ChildProcess process)
        {
            _loop = Task.Run(async () =>
            {
                while (!_stop.IsCancellationRequested)
                {
                    var rss = process.ResidentBytes();
                    if (rss > Interlocked.Read(ref _peak))
                    {
                        Interlocked.Exchange(ref _peak, rss);
                    }
                    try
                    {
                        await Task.Delay(20, _stop.Token);
                    }
                    catch (OperationCanceledException)
                    {
                    }
                }
            });
        }

        public long Peak => Interlocked.Read(ref _peak);

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            await _loop;
            _stop.Dispose();
        }
    }

    [Fact]
    public async Task Transfer_200MBUploadAndDownload_StreamWithFlatMemory()
    {
        await using var gateway = await FastGateProcess.StartAsync(UpstreamsFixture.SimpleConfig(upstreams.A.Address, defaults: "max_body_bytes = \"1GiB\""));
        using var client = Clients.Http11(gateway.BaseUri, timeout: TimeSpan.FromSeconds(120));
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(120));

        // Warm up both directions so pools and JIT are in the baseline, not in the growth.
        for (var i = 0; i < 20; i++)
        {
            (await client.PostAsync("/sink", new ByteArrayContent(Clients.PatternBytes(100_000)), cts.Token)).Dispose();
            (await client.GetAsync("/bytes/100000", cts.Token)).Dispose();
        }
        var baseline = gateway.Process.ResidentBytes();
        var clock = Stopwatch.StartNew();
        long peak;
        string uploadSha;
        JsonElement sink;
        long received = 0;
        var patternOk = true;
        using var downloadHash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        using var expectedHash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        await using (var sampler = new RssSampler(gateway.Process))
        {
            using (var body = new PatternStream(BodySize))
            {
                using var content = new StreamContent(body, 64 * 1024);
                content.Headers.ContentLength = BodySize;
                content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
                using var upload = await client.PostAsync("/sink", content, cts.Token);
                Assert.Equal(200, (int)upload.StatusCode);
                sink = JsonDocument.Parse(await upload.Content.ReadAsStringAsync(cts.Token)).RootElement.Clone();
                uploadSha = body.Sha256Hex();
            }
            output.WriteLine($"upload {BodySize / 1e6:0} MB in {clock.Elapsed.TotalSeconds:0.0} s");

            clock.Restart();
            using (var download = await client.GetAsync($"/bytes/{BodySize}", HttpCompletionOption.ResponseHeadersRead, cts.Token))
            {
                Assert.Equal(200, (int)download.StatusCode);
                await using var stream = await download.Content.ReadAsStreamAsync(cts.Token);
                var buffer = new byte[64 * 1024];
                var expected = new byte[buffer.Length];
                int n;
                while ((n = await stream.ReadAsync(buffer, cts.Token)) > 0)
                {
                    for (var i = 0; i < n; i++)
                    {
                        expected[i] = Clients.Pattern(received + i);
                    }
                    patternOk &= buffer.AsSpan(0, n).SequenceEqual(expected.AsSpan(0, n));
                    downloadHash.AppendData(buffer, 0, n);
                    expectedHash.AppendData(expected, 0, n);
                    received += n;
                }
            }
            output.WriteLine($"download {received / 1e6:0} MB in {clock.Elapsed.TotalSeconds:0.0} s");
            peak = sampler.Peak;
        }

        output.WriteLine($"RSS baseline {baseline / 1048576.0:0.0} MiB, peak {peak / 1048576.0:0.0} MiB, growth {(peak - baseline) / 1048576.0:0.0} MiB");
        Assert.Equal(BodySize, sink.GetProperty("body_length").GetInt64());
        Assert.Equal(uploadSha, sink.GetProperty("body_sha256").GetString());
        Assert.Equal(BodySize, received);
        Assert.True(patternOk, "downloaded bytes differ from the pattern");
        Assert.Equal(expectedHash.GetCurrentHash(), downloadHash.GetCurrentHash());
        Assert.True(peak - baseline < MaxRssGrowth, $"RSS grew by {(peak - baseline) / 1048576.0:0.0} MiB while moving a {BodySize / 1e6:0} MB body");
    }

    [Fact]
    public async Task KeepAliveLoad_100kRequests_AllocatesUnder64BytesPerRequest()
    {
        const int Total = 100_000;
        const int Loops = 32;
        await using var gateway = await FastGateProcess.StartAsync(UpstreamsFixture.SimpleConfig(upstreams.A.Address));
        using var client = Clients.Http11(gateway.BaseUri, timeout: TimeSpan.FromSeconds(10));
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(60));

        async Task RunAsync(int count)
        {
            var issued = 0;
            var failures = 0;
            await Task.WhenAll(Enumerable.Range(0, Loops).Select(_ => Task.Run(async () =>
            {
                while (Interlocked.Increment(ref issued) <= count && !deadline.IsCancellationRequested)
                {
                    using var response = await client.GetAsync("/", deadline.Token);
                    await response.Content.LoadIntoBufferAsync(deadline.Token);
                    if ((int)response.StatusCode != 200)
                    {
                        Interlocked.Increment(ref failures);
                    }
                }
            })));
            Assert.Equal(0, failures);
        }

        // Warm-up: connections, pools and tiered JIT settle before the measured window.
        await RunAsync(5_000);
        var before = await gateway.MetricsAsync();
        var clock = Stopwatch.StartNew();
        await RunAsync(Total);
        var elapsed = clock.Elapsed;
        var after = await gateway.MetricsAsync();

        var requests = FastGateProcess.MetricSum(after, "fastgate_requests_total") - FastGateProcess.MetricSum(before, "fastgate_requests_total");
        var allocated = FastGateProcess.Metric(after, "fastgate_allocated_bytes_total") - FastGateProcess.Metric(before, "fastgate_allocated_bytes_total");
        var perRequest = allocated / requests;
        output.WriteLine($"{requests} requests in {elapsed.TotalSeconds:0.0} s ({requests / elapsed.TotalSeconds:0} req/s), {allocated} bytes allocated, {perRequest:0.0} bytes/request");
        Assert.Equal(Total, requests);
        Assert.True(perRequest < 64, $"{perRequest:0.0} bytes allocated per request (budget 64)");
    }
}
