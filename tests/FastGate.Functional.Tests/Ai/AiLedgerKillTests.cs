using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;
using FastGate.Functional.Tests.Infrastructure;
using Xunit.Abstractions;

namespace FastGate.Functional.Tests.Ai;

/// <summary>
/// <c>kill -9</c> of the daemon while AI requests stream through it: after a restart on the same
/// ledger, every request that ended well before the kill is there, every record is whole (its
/// tokens are what the provider counted), nothing is counted that was never sent, and the ledger
/// takes new records. docs/ai-ledger.md promises the records of exchanges that ended more than one
/// <c>ledger_fsync_interval</c> before a crash.
/// </summary>
public sealed class AiLedgerKillTests(ITestOutputHelper output) : IAsyncLifetime
{
    // The mock counts one input token per word and answers with the tokens the model name asks for.
    private const string Body = """{"model":"openai-m+tokens-5","stream":true,"messages":[{"role":"user","content":"one two three"}]}""";
    private const int InputTokens = 3;
    private const int OutputTokens = 5;
    // Far more than the 50 ms fsync interval, for a loaded CI machine whose writer thread may lag.
    private static readonly TimeSpan DurableAfter = TimeSpan.FromSeconds(2);

    private readonly string _folder = Directory.CreateTempSubdirectory("fastgate-ai-kill-").FullName;
    private MockUpstreamProcess? _mock;

    private string Ledger => Path.Combine(_folder, "usage.ledger");

    public async Task InitializeAsync() => _mock = await MockUpstreamProcess.StartAsync("ai-providers");

    public async Task DisposeAsync()
    {
        if (_mock is not null)
        {
            await _mock.DisposeAsync();
        }
        Directory.Delete(_folder, recursive: true);
    }

    [Fact]
    public async Task KillDashNine_UnderStreamingLoad_RestartFindsEveryEarlyRecordWholeAndAppends()
    {
        var config = AiGatewayFixture.Config(_mock!.Address, Ledger);
        var clock = Stopwatch.StartNew();
        var ended = new List<TimeSpan>();
        long sent = 0;
        TimeSpan killedAt;
        await using (var gateway = await FastGateProcess.StartAsync(config))
        {
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
            using var stop = new CancellationTokenSource();
            var clients = Enumerable.Range(0, 8).Select(_ => Task.Run(async () =>
            {
                while (!stop.IsCancellationRequested)
                {
                    Interlocked.Increment(ref sent);
                    try
                    {
                        using var response = await http.SendAsync(Request(gateway.BaseUri), stop.Token);
                        await response.Content.ReadAsStringAsync(stop.Token);
                        if (response.IsSuccessStatusCode)
                        {
                            lock (ended)
                            {
                                ended.Add(clock.Elapsed);
                            }
                        }
                    }
                    catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException or IOException)
                    {
                        // The kill cuts requests in flight; they may or may not be in the ledger.
                    }
                }
            })).ToArray();

            await Task.Delay(TimeSpan.FromSeconds(5));
            killedAt = clock.Elapsed;
            gateway.Process.Signal("KILL");
            Assert.NotNull(await gateway.Process.WaitForExitAsync(TimeSpan.FromSeconds(30)));
            stop.Cancel();
            await Task.WhenAll(clients);
        }

        int durable;
        lock (ended)
        {
            durable = ended.Count(t => t < killedAt - DurableAfter);
            output.WriteLine($"sent {sent}, answered {ended.Count}, ended {DurableAfter} before the kill {durable}");
        }
        Assert.True(durable > 0, "no request ended well before the kill: the load did not run");

        await using var restarted = await FastGateProcess.StartAsync(config);
        var totals = await AiGatewayFixture.LedgerTotalsAsync(restarted);
        output.WriteLine($"after restart: {totals}");
        Assert.InRange(totals.Requests, durable, sent);
        Assert.Equal(totals.Requests * InputTokens, totals.InputTokens);
        Assert.Equal(totals.Requests * OutputTokens, totals.OutputTokens);

        using (var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) })
        {
            using var response = await http.SendAsync(Request(restarted.BaseUri));
            Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        }
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        var after = await AiGatewayFixture.LedgerTotalsAsync(restarted);
        while (after.Requests == totals.Requests && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
            after = await AiGatewayFixture.LedgerTotalsAsync(restarted);
        }
        Assert.Equal(totals.Requests + 1, after.Requests);
        Assert.Equal(totals.OutputTokens + OutputTokens, after.OutputTokens);
    }

    private static HttpRequestMessage Request(Uri origin)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, new Uri(origin, "/v1/chat/completions"))
        {
            Content = new StringContent(Body, Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", AiGatewayFixture.ClientKey);
        return request;
    }
}
