using System.Text.Json;
using FastGate.Ai.Metering;
using FastGate.Proxy.Observability;

namespace FastGate.Ai.Tests.Metering;

public sealed class UsageEndpointTests : IDisposable
{
    // 2026-01-01T00:00:00Z and the next two days.
    private const long Day1 = 1_767_225_600_000;
    private const long Day2 = Day1 + 86_400_000;
    private const long Day3 = Day2 + 86_400_000;

    private readonly LedgerTestKit _kit = new();
    private readonly UsageLedger _ledger;
    private readonly UsageEndpoint _endpoint;

    public UsageEndpointTests()
    {
        // An hour between fsyncs: the answers must include records not yet written by the writer thread.
        _ledger = new UsageLedger(new GatewayLog(TextWriter.Null), TimeSpan.FromHours(1));
        _ledger.Open(_kit.File());
        _endpoint = new UsageEndpoint(_ledger);
        _ledger.Append(LedgerTestKit.Record("1", Day1, "alice", "gpt-4o", input: 100, output: 10, cost: 0.5m));
        _ledger.Append(LedgerTestKit.Record("2", Day1 + 1000, "alice", "gpt-4o", input: 200, output: 20, cost: 0.25m));
        _ledger.Append(LedgerTestKit.Record("3", Day2, "alice", "claude", provider: "mockant", input: 7, output: 3, reported: false, cost: 0m));
        _ledger.Append(LedgerTestKit.Record("4", Day2 + 5, "bob", "gpt-4o", input: 1, output: 1, cost: 0.125m));
        _ledger.Append(LedgerTestKit.Record("5", Day3, "bob", "claude", provider: "mockant", route: "other", input: 50, output: 0, status: 502));
    }

    public void Dispose()
    {
        _ledger.Dispose();
        _kit.Dispose();
    }

    private async Task<JsonElement> Get(string query)
    {
        var (status, type, body) = await _endpoint.GetAsync(query);
        Assert.True(status == 200, body);
        Assert.Equal("application/json", type);
        return JsonDocument.Parse(body).RootElement;
    }

    private static string Key(JsonElement group, params string[] fields) => string.Join("/", fields.Select(f => group.GetProperty(f).GetString()));

    [Fact]
    public async Task Get_Default_SumsByConsumerAndModel_AndTotals()
    {
        var answer = await Get("");

        var groups = answer.GetProperty("groups").EnumerateArray().ToDictionary(g => Key(g, "consumer", "model"));
        Assert.Equal(["alice/claude", "alice/gpt-4o", "bob/claude", "bob/gpt-4o"], groups.Keys);
        var aliceGpt = groups["alice/gpt-4o"];
        Assert.Equal(2, aliceGpt.GetProperty("requests").GetInt64());
        Assert.Equal(300, aliceGpt.GetProperty("input_tokens").GetInt64());
        Assert.Equal(30, aliceGpt.GetProperty("output_tokens").GetInt64());
        Assert.Equal(150, aliceGpt.GetProperty("cached_input_tokens").GetInt64());
        Assert.Equal(7, aliceGpt.GetProperty("reasoning_tokens").GetInt64());
        Assert.Equal(0, aliceGpt.GetProperty("estimated_requests").GetInt64());
        Assert.Equal(0.75m, aliceGpt.GetProperty("cost_usd").GetDecimal());
        Assert.Equal(1, groups["alice/claude"].GetProperty("estimated_requests").GetInt64());
        var totals = answer.GetProperty("totals");
        Assert.Equal(5, totals.GetProperty("requests").GetInt64());
        Assert.Equal(358, totals.GetProperty("input_tokens").GetInt64());
        Assert.Equal(34, totals.GetProperty("output_tokens").GetInt64());
        Assert.Equal(0.8751m, totals.GetProperty("cost_usd").GetDecimal());
        Assert.Equal(JsonValueKind.Null, answer.GetProperty("from").ValueKind);
        Assert.Equal(JsonValueKind.Null, answer.GetProperty("to").ValueKind);
    }

    [Fact]
    public async Task Get_GroupByDayProviderRoute_GroupsByThose()
    {
        var answer = await Get("group_by=day,provider,route");

        var groups = answer.GetProperty("groups").EnumerateArray().ToDictionary(g => Key(g, "day", "provider", "route"), g => g.GetProperty("requests").GetInt64());
        Assert.Equal(new Dictionary<string, long>
        {
            ["2026-01-01/mockoai/llm"] = 2,
            ["2026-01-02/mockant/llm"] = 1,
            ["2026-01-02/mockoai/llm"] = 1,
            ["2026-01-03/mockant/other"] = 1,
        }, groups);
        Assert.False(answer.GetProperty("groups")[0].TryGetProperty("consumer", out _));
    }

    [Theory]
    [InlineData("from=2026-01-02T00:00:00Z", 3)]
    [InlineData("from=2026-01-02", 3)]
    [InlineData("to=2026-01-02T00:00:00Z", 2)]
    [InlineData("from=1767312000&to=1767398400", 2)]
    [InlineData("from=2026-01-02T01:00:00%2B01:00&to=2026-01-02T00:00:00.006Z", 2)]
    [InlineData("from=2026-01-02T00:00:00.001Z&to=2026-01-02T00:00:00.005Z", 0)]
    [InlineData("from=2027-01-01", 0)]
    public async Task Get_TimeRange_FromInclusiveToExclusive(string query, long requests)
    {
        var answer = await Get(query);

        Assert.Equal(requests, answer.GetProperty("totals").GetProperty("requests").GetInt64());
    }

    [Fact]
    public async Task Get_Filters_ConsumerAndModel()
    {
        var answer = await Get("consumer=bob&model=claude&group_by=route");

        var group = Assert.Single(answer.GetProperty("groups").EnumerateArray());
        Assert.Equal("other", group.GetProperty("route").GetString());
        Assert.Equal(50, group.GetProperty("input_tokens").GetInt64());
    }

    [Fact]
    public async Task Get_EmptyGroupBy_OneGroupOfEverything()
    {
        var answer = await Get("group_by=");

        var group = Assert.Single(answer.GetProperty("groups").EnumerateArray());
        Assert.Equal(5, group.GetProperty("requests").GetInt64());
    }

    [Fact]
    public async Task Get_AfterMoreAppends_CountsThemWithoutWaitingForTheWriter()
    {
        _ledger.Append(LedgerTestKit.Record("6", Day3, "carol", "gpt-4o", input: 1, output: 1));

        var answer = await Get("consumer=carol");

        Assert.Equal(1, answer.GetProperty("totals").GetProperty("requests").GetInt64());
    }

    [Theory]
    [InlineData("from=yesterday", "from: 'yesterday' is neither")]
    [InlineData("to=2026-01-02T00:00:00", "to: '2026-01-02T00:00:00' is neither")]
    [InlineData("from=2026-01-03&to=2026-01-02", "is after to")]
    [InlineData("group_by=consumer,color", "group_by: unknown field 'color'")]
    [InlineData("form=2026-01-01", "unknown parameter 'form'")]
    public async Task Get_BadQuery_400WithAMessageNamingTheProblem(string query, string message)
    {
        var (status, type, body) = await _endpoint.GetAsync(query);

        Assert.Equal(400, status);
        Assert.Equal("application/json", type);
        Assert.Contains(message, JsonDocument.Parse(body).RootElement.GetProperty("error").GetString());
    }
}
