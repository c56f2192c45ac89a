using System.Net;

namespace FastGate.Functional.Tests.Http2Conformance;

/// <summary>
/// An ordinary HttpClient speaking h2c (prior knowledge) on a connection of its own, asking for
/// <c>/</c> over and over while an attack runs on another connection: the defense contract says
/// other connections are never affected, so every one of its requests must be a 200 over
/// HTTP/2, during the attack and after it.
/// </summary>
public sealed class WellBehavedClient : IAsyncDisposable
{
    private readonly HttpClient _client;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<string> _failures = [];
    private readonly Task _loop;
    private int _ok;

    private WellBehavedClient(Uri baseAddress)
    {
        _client = new HttpClient(new SocketsHttpHandler { UseProxy = false, AllowAutoRedirect = false })
        {
            BaseAddress = baseAddress,
            DefaultRequestVersion = HttpVersion.Version20,
            DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Timeout = TimeSpan.FromSeconds(20),
        };
        _loop = Task.Run(LoopAsync);
    }

    /// <summary>Starts the loop once a first request has succeeded (so its connection is up before the attack).</summary>
    public static async Task<WellBehavedClient> StartAsync(Uri baseAddress)
    {
        var probe = new HttpClient(new SocketsHttpHandler { UseProxy = false })
        {
            BaseAddress = baseAddress,
            DefaultRequestVersion = HttpVersion.Version20,
            DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Timeout = TimeSpan.FromSeconds(20),
        };
        using (probe)
        {
            using var first = await probe.GetAsync("/");
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
            Assert.Equal(HttpVersion.Version20, first.Version);
        }
        var client = new WellBehavedClient(baseAddress);
        await client.WaitForOkAsync(1);
        return client;
    }

    private async Task WaitForOkAsync(int count)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (Volatile.Read(ref _ok) < count && DateTime.UtcNow < deadline && !_loop.IsCompleted)
        {
            await Task.Delay(20);
        }
    }

    private async Task LoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                using var response = await _client.GetAsync("/", _stop.Token);
                var body = await response.Content.ReadAsStringAsync(_stop.Token);
                if (response.StatusCode == HttpStatusCode.OK && response.Version == HttpVersion.Version20 && body == "Hello World!")
                {
                    Interlocked.Increment(ref _ok);
                }
                else
                {
                    lock (_failures)
                    {
                        _failures.Add($"{(int)response.StatusCode} over HTTP/{response.Version}: {body}");
                    }
                }
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                lock (_failures)
                {
                    _failures.Add($"{ex.GetType().Name}: {ex.Message} {ex.InnerException?.Message}");
                }
            }
            try
            {
                await Task.Delay(10, _stop.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>After the attack: a few more 200s must come, then the loop stops and no request may have failed.</summary>
    public async Task AssertUnaffectedAsync()
    {
        var before = Volatile.Read(ref _ok);
        await WaitForOkAsync(before + 3);
        await _stop.CancelAsync();
        await _loop;
        lock (_failures)
        {
            Assert.True(_failures.Count == 0, $"the well-behaved client on its own connection failed {_failures.Count} time(s) ({_ok} ok): {string.Join(" | ", _failures.Take(5))}");
        }
        Assert.True(_ok >= before + 3, $"the well-behaved client got only {_ok - before} response(s) after the attack");
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        try
        {
            await _loop;
        }
        catch (OperationCanceledException)
        {
        }
        _client.Dispose();
        _stop.Dispose();
    }
}
