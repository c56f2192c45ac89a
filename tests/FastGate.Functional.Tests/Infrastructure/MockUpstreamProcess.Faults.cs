using System.Text.Json;

namespace FastGate.Functional.Tests.Infrastructure;

// Failure modes for the resilience tests: a mock killed outright (restarted on its old port, so
// it comes back at the same address), and its faults and counters driven through its control
// path (tools/MockUpstream/README.md, "Failure modes").
public sealed partial class MockUpstreamProcess
{
    // Connection: close on every control request: a pooled connection to a mock that was killed
    // would otherwise be tried again on its successor at the same port.
    private static readonly HttpClient Control = new()
    {
        Timeout = TimeSpan.FromSeconds(10),
        DefaultRequestHeaders = { ConnectionClose = true },
    };

    /// <summary>SIGKILL, as a crash: no graceful close of its connections. Returns once it has exited.</summary>
    public async Task KillAsync()
    {
        _process.Signal("KILL");
        if (await _process.WaitForExitAsync(TimeSpan.FromSeconds(10)) is null)
        {
            throw new TimeoutException($"mock-upstream {Name} still running 10 s after SIGKILL");
        }
    }

    /// <summary>Changes fault settings: <c>fail_rate=1&amp;fail_status=503</c>, <c>latency=50</c>, <c>health=fail</c>.</summary>
    public async Task SetFaultsAsync(string query)
    {
        using var response = await Control.PostAsync($"http://{Address}/__mock/faults?{query}", null);
        var body = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"mock-upstream {Name} refused faults '{query}': {(int)response.StatusCode} {body}");
        }
    }

    /// <summary>Requests the mock has received on any path but /healthz and its control path.</summary>
    public Task<long> RequestsAsync() => StatAsync("requests");

    /// <summary>Connections the mock has reset (<c>--reset-rate</c>, <c>/reset</c>).</summary>
    public Task<long> ResetsAsync() => StatAsync("resets");

    private async Task<long> StatAsync(string name)
    {
        var stats = await Control.GetStringAsync($"http://{Address}/__mock/stats");
        return JsonDocument.Parse(stats).RootElement.GetProperty(name).GetInt64();
    }
}
