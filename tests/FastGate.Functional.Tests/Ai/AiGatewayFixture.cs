using System.Net.Http.Json;
using System.Text.Json;
using FastGate.Functional.Tests.Infrastructure;

namespace FastGate.Functional.Tests.Ai;

/// <summary>
/// One mock upstream serving every provider shape and one daemon in front of it with a provider
/// of each kind, an <c>ai = true</c> route behind an API key, and a usage ledger in a temp dir.
/// Clients name a model <c>KIND-NAME+options</c> (<c>anthropic-c+tokens-8+tools</c>): the
/// <c>KIND-*</c> entries send it to that provider with the name as asked, so the options reach
/// the mock. <c>fallback</c> tries a 429 first, <c>broken</c> has one target answering 500.
/// </summary>
public class AiGatewayFixture : IAsyncLifetime
{
    public const string ClientKey = "fg-functional-ai-key";
    public static readonly string[] Kinds = ["openai", "azure", "anthropic", "gemini", "ollama", "compat"];

    private readonly string _ledgerFolder = Directory.CreateTempSubdirectory("fastgate-ai-ledger-").FullName;
    private MockUpstreamProcess? _mock;
    private FastGateProcess? _gateway;

    public MockUpstreamProcess Mock => _mock!;
    public FastGateProcess Gateway => _gateway!;
    public Uri Origin => Gateway.BaseUri;

    public static string Config(string mock, string ledger) => $$"""
        [admin]
        listen = "{admin}"

        [log]
        access = "off"

        [ai]
        ledger = "{{ledger}}"
        ledger_fsync_interval = "50ms"
        drain_timeout = "30s"

        [[listener]]
        name = "web"
        listen = "{listen}"

        [consumer.tester]
        keys = ["{{ClientKey}}"]

        [provider.oai]
        kind = "openai"
        base_url = "http://{{mock}}"
        api_key = "sk-provider-openai"

        [provider.azure]
        kind = "azure-openai"
        base_url = "http://{{mock}}"
        api_key = "provider-azure-key"
        api_version = "2024-10-21"

        [provider.ant]
        kind = "anthropic"
        base_url = "http://{{mock}}"
        api_key = ["provider-anthropic-key-1", "provider-anthropic-key-2"]

        [provider.gem]
        kind = "gemini"
        base_url = "http://{{mock}}"
        api_key = "provider-gemini-key"

        [provider.oll]
        kind = "ollama"
        base_url = "http://{{mock}}"

        [provider.compat]
        kind = "openai-compatible"
        base_url = "http://{{mock}}"
        api_key = "provider-compatible-key"

        [[model]]
        name = "fallback"
        targets = ["oai/m+fail-429", "ant/c+tokens-6"]

        [[model]]
        name = "broken"
        targets = ["oai/m+fail-500"]

        [[model]]
        name = "openai-*"
        targets = ["oai/*"]
        price = { input = 0.15, cached_input = 0.075, output = 0.60 }

        [[model]]
        name = "azure-*"
        targets = ["azure/*"]

        [[model]]
        name = "anthropic-*"
        targets = ["ant/*"]

        [[model]]
        name = "gemini-*"
        targets = ["gem/*"]

        [[model]]
        name = "ollama-*"
        targets = ["oll/*"]

        [[model]]
        name = "compat-*"
        targets = ["compat/*"]

        [[route]]
        name = "llm"
        path_prefix = "/v1/"
        ai = true
        auth = ["api_key"]
        """;

    public async Task InitializeAsync()
    {
        _mock = await MockUpstreamProcess.StartAsync("ai-providers");
        _gateway = await FastGateProcess.StartAsync(Config(_mock.Address, Path.Combine(_ledgerFolder, "usage.ledger")));
    }

    public async Task DisposeAsync()
    {
        if (_gateway is not null)
        {
            await _gateway.DisposeAsync();
        }
        if (_mock is not null)
        {
            await _mock.DisposeAsync();
        }
        try
        {
            Directory.Delete(_ledgerFolder, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    public Task<MockAiStats> MockStatsAsync() => AiClients.MockStatsAsync(Mock.Port);

    /// <summary>The ledger's totals over every record (<c>GET /usage?group_by=</c> on the admin listener).</summary>
    public Task<LedgerTotals> LedgerTotalsAsync() => LedgerTotalsAsync(Gateway);

    /// <summary>The ledger's totals of <paramref name="gateway"/>.</summary>
    public static async Task<LedgerTotals> LedgerTotalsAsync(FastGateProcess gateway)
    {
        using var response = await gateway.Admin.GetAsync("/usage?group_by=");
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"GET /usage: {(int)response.StatusCode} {body}");
        using var doc = JsonDocument.Parse(body);
        var totals = doc.RootElement.GetProperty("totals");
        return new LedgerTotals(
            totals.GetProperty("requests").GetInt64(),
            totals.GetProperty("input_tokens").GetInt64(),
            totals.GetProperty("output_tokens").GetInt64(),
            totals.GetProperty("cached_input_tokens").GetInt64(),
            totals.GetProperty("reasoning_tokens").GetInt64());
    }

    /// <summary>
    /// Waits (generously: a drain of an abandoned stream runs to the provider's end) until the
    /// ledger's token totals equal what the mock served, and returns both; the caller asserts.
    /// </summary>
    /// <param name="mockDone">What the mock's counters must show first (a drained stream completed).</param>
    public async Task<(LedgerTotals Ledger, MockAiStats Mock)> SettledTotalsAsync(TimeSpan deadline, Func<MockAiStats, bool>? mockDone = null)
    {
        var until = DateTime.UtcNow + deadline;
        while (true)
        {
            var mock = await MockStatsAsync();
            var ledger = await LedgerTotalsAsync();
            if ((ledger.Matches(mock) && (mockDone is null || mockDone(mock))) || DateTime.UtcNow > until)
            {
                return (ledger, mock);
            }
            await Task.Delay(200);
        }
    }
}

public sealed record LedgerTotals(long Requests, long InputTokens, long OutputTokens, long CachedTokens, long ReasoningTokens)
{
    public bool Matches(MockAiStats mock) =>
        InputTokens == mock.InputTokens && OutputTokens == mock.OutputTokens
        && CachedTokens == mock.CachedTokens && ReasoningTokens == mock.ReasoningTokens;
}

/// <summary>A fixture of its own for the ledger comparison, so no other test's traffic is in its totals.</summary>
public sealed class AiLedgerFixture : AiGatewayFixture;
