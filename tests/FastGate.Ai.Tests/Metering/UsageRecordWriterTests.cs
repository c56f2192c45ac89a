using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using FastGate.Ai.Metering;
using FastGate.Ai.Providers;
using FastGate.Core.Buffers;

namespace FastGate.Ai.Tests.Metering;

public sealed class UsageRecordWriterTests
{
    private static byte[] Payload(in UsageRecord record)
    {
        var output = new PooledByteBuffer();
        UsageRecordWriter.Write(output, record);
        return output.WrittenSpan.ToArray();
    }

    /// <summary>The record as System.Text.Json writes it, field by field: what ledgers held before the direct writer.</summary>
    private static byte[] JsonWriterPayload(in UsageRecord record)
    {
        var output = new PooledByteBuffer();
        using (var json = new Utf8JsonWriter(output, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            var usage = record.Usage;
            json.WriteStartObject();
            json.WriteNumber("time_ms", record.UnixMs);
            json.WriteString("request_id", record.RequestId);
            json.WriteString("consumer", record.Consumer);
            json.WriteString("route", record.Route);
            json.WriteString("api", UsageLedgerFormat.ApiName(record.Api));
            json.WriteString("provider", record.Provider);
            json.WriteString("model_asked", record.ModelAsked);
            json.WriteString("model_used", record.ModelUsed);
            json.WriteNumber("input_tokens", usage.Input);
            json.WriteNumber("output_tokens", usage.Output);
            json.WriteNumber("cached_input_tokens", usage.CachedInput);
            json.WriteNumber("cache_write_input_tokens", usage.CacheWriteInput);
            json.WriteNumber("reasoning_tokens", usage.Reasoning);
            json.WriteBoolean("reported", usage.Reported);
            json.WriteNumber("cost_usd", record.CostUsd);
            json.WriteNumber("status", record.Status);
            json.WriteBoolean("stream", record.Stream);
            json.WriteNumber("ttft_ms", Math.Round(record.TimeToFirstTokenMs, 3));
            json.WriteNumber("duration_ms", Math.Round(record.DurationMs, 3));
            json.WriteNumber("attempts", record.Attempts);
            json.WriteEndObject();
        }
        return output.WrittenSpan.ToArray();
    }

    [Fact]
    public void Write_AsciiRecord_SameBytesAsTheJsonWriter()
    {
        var record = LedgerTestKit.Record("req-1", cost: 1.234567890123m) with
        {
            Api = ClientApi.AnthropicMessages,
            TimeToFirstTokenMs = 0.1234567,
            DurationMs = 12345.6789,
            Usage = new TokenUsage { Input = 1234, Output = 56, CachedInput = 1000, CacheWriteInput = 34, Reasoning = 7, Reported = false },
        };

        Assert.Equal(Encoding.UTF8.GetString(JsonWriterPayload(record)), Encoding.UTF8.GetString(Payload(record)));
    }

    [Theory]
    [InlineData(0, 0)]
    [InlineData(0.0004, 1234567.8915)]
    [InlineData(0.0005, 0.1)]
    [InlineData(0.25, 1.05)]
    [InlineData(120.5, 900.25)]
    [InlineData(99.999, 100.0004)]
    [InlineData(3e9, 12.000001)]
    public void Write_Milliseconds_SameBytesAsTheJsonWriter(double ttft, double duration)
    {
        var record = LedgerTestKit.Record("r", cost: 0m) with { TimeToFirstTokenMs = ttft, DurationMs = duration };

        Assert.Equal(Encoding.UTF8.GetString(JsonWriterPayload(record)), Encoding.UTF8.GetString(Payload(record)));
    }

    [Theory]
    [InlineData("bob \"quoted\" \\ back\\slash")]
    [InlineData("line\nbreak\ttab\r\b\f and \u0001\u001f controls")]
    [InlineData("ünïcödé 模型 🚀")]
    [InlineData("lone \ud83d surrogate")]
    [InlineData("")]
    public void Write_AnyText_ReadsBackTheSameRecord(string text)
    {
        var record = LedgerTestKit.Record(text, consumer: text, model: text);

        Assert.True(UsageLedgerFormat.TryReadRecord(Payload(record), out var read));

        var expected = text.Replace("\ud83d ", "\ufffd ");
        Assert.Equal(expected, read.RequestId);
        Assert.Equal(expected, read.Consumer);
        Assert.Equal(expected, read.ModelAsked);
        Assert.Equal(expected + "-2024", read.ModelUsed);
        Assert.Equal(record.Usage, read.Usage);
        Assert.Equal(record.CostUsd, read.CostUsd);
        Assert.Equal(record.DurationMs, read.DurationMs);
    }

    [Fact]
    public void Write_LongText_ClippedToTheLimit()
    {
        var record = LedgerTestKit.Record("r", model: new string('m', UsageLedgerFormat.MaxStringLength + 500));

        Assert.True(UsageLedgerFormat.TryReadRecord(Payload(record), out var read));

        Assert.Equal(new string('m', UsageLedgerFormat.MaxStringLength), read.ModelAsked);
    }

    [Fact]
    public void Write_RequestIdAsBytes_WrittenAsTheRequestId()
    {
        var record = LedgerTestKit.Record("") with { RequestIdUtf8 = "id-\"7\"\\\u00e9"u8.ToArray() };

        Assert.True(UsageLedgerFormat.TryReadRecord(Payload(record), out var read));

        // Other bytes than ASCII read as '?', as an ASCII decoding of the header would.
        Assert.Equal("id-\"7\"\\??", read.RequestId);
    }
}
