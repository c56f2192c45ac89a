using System.Net;
using FastGate.Ai.Metering;
using FastGate.Proxy.Admin;
using FastGate.Proxy.Config;
using FastGate.Proxy.Hosting;
using FastGate.Proxy.Observability;

namespace FastGate.Ai.Tests.Metering;

/// <summary>GET /usage and the AI series through a real admin listener, as an operator's curl sees them.</summary>
public sealed class UsageAdminPathTests : IDisposable
{
    private const string Token = "admin-secret";

    private readonly LedgerTestKit _kit = new();
    private readonly Gateway _gateway = new(new GatewayLog(TextWriter.Null));
    private readonly UsageMeter _meter;
    private readonly HttpClient _client = new();
    private readonly string _admin;

    public UsageAdminPathTests()
    {
        var port = FreePort.Next();
        _admin = $"http://127.0.0.1:{port}";
        var load = ConfigLoader.LoadFromText($"""
            [admin]
            listen = "127.0.0.1:{port}"
            token = "{Token}"
            [log]
            access = "off"
            [[listener]]
            name = "web"
            listen = "127.0.0.1:{FreePort.Next()}"
            [[route]]
            name = "rest"
            path_prefix = "/"
            cluster = "a"
            [cluster.a]
            endpoints = ["127.0.0.1:9"]
            """, _kit.File("fastgate.toml"));
        Assert.True(load.Errors.Count == 0, string.Join("\n", load.Errors));
        _meter = new UsageMeter(_gateway.Metrics, _gateway.Log);
        _meter.Configure(new AiModel { LedgerPath = _kit.File() });
        var admin = new AdminConnectionHandler(_gateway, () => Task.FromResult<ReloadResult>(null!));
        admin.Add(_meter.UsageEndpoint);
        _gateway.Start(load.Model!, admin);
        _client.DefaultRequestHeaders.Authorization = new("Bearer", Token);
    }

    public void Dispose()
    {
        _client.Dispose();
        _gateway.Dispose();
        _meter.Dispose();
        _kit.Dispose();
    }

    [Fact]
    public async Task GetUsage_WithQuery_SumsTheRecordedExchanges()
    {
        _meter.Record(LedgerTestKit.Record("1", consumer: "alice", model: "gpt-4o", input: 11, output: 7));
        _meter.Record(LedgerTestKit.Record("2", consumer: "bob", model: "gpt-4o", input: 5, output: 1));

        var response = await _client.GetAsync($"{_admin}/usage?consumer=alice&group_by=model,consumer&from=2025-12-31T00%3A00%3A00Z");
        var body = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("\"consumer\": \"alice\"", body);
        Assert.Contains("\"input_tokens\": 11", body);
        Assert.DoesNotContain("bob", body);
    }

    [Fact]
    public async Task GetUsage_BadQuery_400()
    {
        var response = await _client.GetAsync($"{_admin}/usage?group_by=colour");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("unknown field 'colour'", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task PostUsage_405_AndWithoutToken_401()
    {
        Assert.Equal(HttpStatusCode.MethodNotAllowed, (await _client.PostAsync($"{_admin}/usage", null)).StatusCode);
        using var anonymous = new HttpClient();
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync($"{_admin}/usage")).StatusCode);
    }

    [Fact]
    public async Task GetMetrics_CarriesTheAiSeries()
    {
        _meter.Record(LedgerTestKit.Record("1", consumer: "alice", model: "gpt-4o"));

        var text = await _client.GetStringAsync($"{_admin}/metrics");

        Assert.Contains("fastgate_requests_total", text);
        Assert.Contains("fastgate_ai_tokens_total{type=\"output\",model=\"gpt-4o\",provider=\"mockoai\",route=\"llm\",consumer=\"alice\",estimated=\"false\"} 20\n", text);
    }
}
