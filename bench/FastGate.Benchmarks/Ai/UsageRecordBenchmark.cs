using System.Text.Encodings.Web;
using System.Text.Json;
using BenchmarkDotNet.Attributes;
using FastGate.Ai.Metering;
using FastGate.Ai.Providers;
using FastGate.Core.Buffers;

namespace FastGate.Benchmarks.Ai;

/// <summary>
/// Encoding one usage record into its ledger payload, as every exchange on an AI route does when
/// it ends: the direct writer against the same record through <see cref="Utf8JsonWriter"/> (how
/// the ledger wrote it before). Both allocate nothing; the goal is the time.
/// </summary>
[MemoryDiagnoser]
public class UsageRecordBenchmark
{
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private readonly PooledByteBuffer _output = new();
    private readonly Utf8JsonWriter _json = new(new PooledByteBuffer(), WriterOptions);
    private UsageRecord _record;

    [GlobalSetup]
    public void Setup() => _record = new UsageRecord
    {
        UnixMs = 1_767_225_600_000,
        RequestId = "",
        RequestIdUtf8 = "0f8fad5b-d9cb-469f-a165-70867728950e"u8.ToArray(),
        Consumer = "bench",
        Route = "ai",
        Api = ClientApi.OpenAiChat,
        Provider = "benchmock",
        ModelAsked = "m+tokens-64",
        ModelUsed = "m+tokens-64",
        Usage = new TokenUsage { Input = 12, Output = 64, Reported = true },
        CostUsd = 0,
        Status = 200,
        Stream = true,
        TimeToFirstTokenMs = 0.2871234,
        DurationMs = 0.3559876,
        Attempts = 1,
    };

    [Benchmark]
    public int Direct()
    {
        _output.Clear();
        UsageLedgerFormat.WritePayload(_output, _record);
        return _output.Length;
    }

    [Benchmark(Baseline = true)]
    public int JsonWriter()
    {
        _output.Clear();
        var json = _json;
        json.Reset(_output);
        var record = _record;
        var usage = record.Usage;
        json.WriteStartObject();
        json.WriteNumber("time_ms"u8, record.UnixMs);
        json.WriteString("request_id"u8, System.Text.Encoding.ASCII.GetString(record.RequestIdUtf8.Span));
        json.WriteString("consumer"u8, record.Consumer);
        json.WriteString("route"u8, record.Route);
        json.WriteString("api"u8, UsageLedgerFormat.ApiName(record.Api));
        json.WriteString("provider"u8, record.Provider);
        json.WriteString("model_asked"u8, record.ModelAsked);
        json.WriteString("model_used"u8, record.ModelUsed);
        json.WriteNumber("input_tokens"u8, usage.Input);
        json.WriteNumber("output_tokens"u8, usage.Output);
        json.WriteNumber("cached_input_tokens"u8, usage.CachedInput);
        json.WriteNumber("cache_write_input_tokens"u8, usage.CacheWriteInput);
        json.WriteNumber("reasoning_tokens"u8, usage.Reasoning);
        json.WriteBoolean("reported"u8, usage.Reported);
        json.WriteNumber("cost_usd"u8, record.CostUsd);
        json.WriteNumber("status"u8, record.Status);
        json.WriteBoolean("stream"u8, record.Stream);
        json.WriteNumber("ttft_ms"u8, Math.Round(record.TimeToFirstTokenMs, 3));
        json.WriteNumber("duration_ms"u8, Math.Round(record.DurationMs, 3));
        json.WriteNumber("attempts"u8, record.Attempts);
        json.WriteEndObject();
        json.Flush();
        return _output.Length;
    }
}
