using FastGate.Ai.Metering;
using FastGate.Ai.Providers;
using FastGate.Proxy.Config;
using FastGate.Proxy.Observability;

namespace FastGate.Ai.Tests.Metering;

public sealed class UsageMeterTests : IDisposable
{
    private readonly LedgerTestKit _kit = new();
    private readonly GatewayMetrics _metrics = new();
    private readonly UsageMeter _meter;

    public UsageMeterTests()
    {
        _meter = new UsageMeter(_metrics, new GatewayLog(TextWriter.Null));
        _meter.Configure(new AiModel { LedgerPath = _kit.File(), LedgerFsyncInterval = TimeSpan.FromMilliseconds(50) });
    }

    public void Dispose()
    {
        _meter.Dispose();
        _kit.Dispose();
    }

    private string Metrics() => _metrics.Render([]);

    [Fact]
    public void Record_GoesToTheLedgerAndTheSeries()
    {
        _meter.Record(LedgerTestKit.Record("a", consumer: "alice", model: "gpt-4o", input: 100, output: 30, cost: 0.002m) with
        {
            TimeToFirstTokenMs = 200,
            DurationMs = 2_200,
        });
        _meter.Record(LedgerTestKit.Record("b", consumer: "alice", model: "gpt-4o", input: 10, output: 5, reported: false, cost: 0.001m, status: 499));

        var text = Metrics();

        Assert.Contains("gen_ai_client_token_usage_bucket{gen_ai_token_type=\"input\",gen_ai_request_model=\"gpt-4o\",gen_ai_response_model=\"gpt-4o-2024\",gen_ai_provider_name=\"mockoai\",route=\"llm\",consumer=\"alice\",le=\"256\"} 2\n", text);
        Assert.Contains("gen_ai_client_token_usage_sum{gen_ai_token_type=\"output\",gen_ai_request_model=\"gpt-4o\",gen_ai_response_model=\"gpt-4o-2024\",gen_ai_provider_name=\"mockoai\",route=\"llm\",consumer=\"alice\"} 35\n", text);
        Assert.Contains("fastgate_ai_tokens_total{type=\"input\",model=\"gpt-4o\",provider=\"mockoai\",route=\"llm\",consumer=\"alice\",estimated=\"false\"} 100\n", text);
        Assert.Contains("fastgate_ai_tokens_total{type=\"input\",model=\"gpt-4o\",provider=\"mockoai\",route=\"llm\",consumer=\"alice\",estimated=\"true\"} 10\n", text);
        Assert.Contains("fastgate_ai_tokens_total{type=\"cached_input\",model=\"gpt-4o\",provider=\"mockoai\",route=\"llm\",consumer=\"alice\",estimated=\"false\"} 50\n", text);
        Assert.Contains("fastgate_ai_tokens_total{type=\"reasoning\",model=\"gpt-4o\",provider=\"mockoai\",route=\"llm\",consumer=\"alice\",estimated=\"false\"} 7\n", text);
        Assert.Contains("gen_ai_server_time_to_first_token_seconds_count{gen_ai_request_model=\"gpt-4o\",gen_ai_provider_name=\"mockoai\",route=\"llm\"} 2\n", text);
        Assert.Contains("gen_ai_server_time_to_first_token_seconds_bucket{gen_ai_request_model=\"gpt-4o\",gen_ai_provider_name=\"mockoai\",route=\"llm\",le=\"0.25\"} 2\n", text);
        // (2.2 s - 0.2 s) / 29 tokens = 69 ms per token for the first; the second: (0.90025 - 0.1205) / 4 = 195 ms.
        Assert.Contains("gen_ai_server_time_per_output_token_seconds_bucket{gen_ai_request_model=\"gpt-4o\",gen_ai_provider_name=\"mockoai\",route=\"llm\",le=\"0.075\"} 1\n", text);
        Assert.Contains("gen_ai_server_time_per_output_token_seconds_bucket{gen_ai_request_model=\"gpt-4o\",gen_ai_provider_name=\"mockoai\",route=\"llm\",le=\"0.2\"} 2\n", text);
        Assert.Contains("gen_ai_client_operation_duration_seconds_count{gen_ai_request_model=\"gpt-4o\",gen_ai_provider_name=\"mockoai\",route=\"llm\"} 2\n", text);
        Assert.Contains("fastgate_ai_requests_total{route=\"llm\",model=\"gpt-4o\",provider=\"mockoai\",status=\"200\"} 1\n", text);
        Assert.Contains("fastgate_ai_requests_total{route=\"llm\",model=\"gpt-4o\",provider=\"mockoai\",status=\"499\"} 1\n", text);
        Assert.Contains("fastgate_ai_cost_usd_total{model=\"gpt-4o\",consumer=\"alice\"} 0.003\n", text);
        Assert.Contains("# TYPE gen_ai_client_token_usage histogram\n", text);
        Assert.Contains("# TYPE fastgate_ai_tokens_total counter\n", text);

        _meter.Ledger.Flush();
        Assert.Equal(["a", "b"], UsageLedgerReader.ReadAll(_kit.File()).Select(r => r.RequestId));
        Assert.Contains("fastgate_ai_ledger_records_total{state=\"durable\"} 2\n", Metrics());
    }

    [Fact]
    public void Record_OnceItsSeriesExist_AllocatesNothing()
    {
        _meter.Configure(new AiModel { LedgerPath = _kit.File(), LedgerFsyncInterval = TimeSpan.FromHours(1) });
        var record = LedgerTestKit.Record("req-0123456789", consumer: "alice", model: "gpt-4o");
        // Both batch buffers (pending and writing swap at each flush) must grow past what the measured
        // loop appends. The writer thread may still swap once on the interval it had before Configure;
        // four rounds of twice the measured count leave two clean rounds in a row, one per buffer.
        for (var round = 0; round < 4; round++)
        {
            for (var i = 0; i < 2000; i++)
            {
                _meter.Record(record);
            }
            _meter.Ledger.Flush();
        }

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 1000; i++)
        {
            _meter.Record(record);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        _meter.Ledger.Flush();
        Assert.Equal(9000, UsageLedgerReader.ReadAll(_kit.File()).Count);
    }

    [Fact]
    public void FallbackAndProviderError_Counted()
    {
        _meter.Fallback("llm", "mockoai", "mockant", 429);
        _meter.Fallback("llm", "mockoai", "mockant", 503);
        _meter.ProviderError("mockoai", "m+fail-429", 429);

        var text = Metrics();

        Assert.Contains("fastgate_ai_fallbacks_total{route=\"llm\",from=\"mockoai\",to=\"mockant\"} 2\n", text);
        Assert.Contains("fastgate_ai_provider_errors_total{provider=\"mockoai\",model=\"m+fail-429\",status=\"429\"} 1\n", text);
    }

    [Fact]
    public void LabelValues_AreEscaped()
    {
        _meter.Record(LedgerTestKit.Record("a", consumer: "a\"b\\c"));

        Assert.Contains("consumer=\"a\\\"b\\\\c\"", Metrics());
    }

    [Fact]
    public void Dispose_TakesTheSeriesOffMetrics()
    {
        _meter.Record(LedgerTestKit.Record("a"));
        Assert.Contains("fastgate_ai_tokens_total", Metrics());

        _meter.Dispose();

        Assert.DoesNotContain("fastgate_ai_tokens_total", Metrics());
    }

    [Fact]
    public async Task UsageEndpoint_SumsWhatWasRecorded()
    {
        _meter.Record(LedgerTestKit.Record("a", input: 3, output: 4));

        var (status, _, body) = await _meter.UsageEndpoint.GetAsync("group_by=model");

        Assert.Equal(200, status);
        Assert.Contains("\"input_tokens\": 3", body);
        Assert.Equal("/usage", _meter.UsageEndpoint.Path);
    }

    [Fact]
    public void UsageCost_CachedInputAtItsOwnPrice()
    {
        var price = new ModelPriceModel { Input = 0.15m, CachedInput = 0.075m, Output = 0.60m };
        var usage = new TokenUsage { Input = 1_000_000, CachedInput = 400_000, Output = 100_000 };

        // 600k at 0.15, 400k at 0.075, 100k at 0.60 per million.
        Assert.Equal(0.09m + 0.03m + 0.06m, UsageCost.Of(price, usage));
    }
}
