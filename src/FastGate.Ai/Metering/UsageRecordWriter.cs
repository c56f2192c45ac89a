using System.Buffers;
using System.Buffers.Text;
using System.Globalization;
using System.Text;
using FastGate.Core.Buffers;

namespace FastGate.Ai.Metering;

/// <summary>
/// Writes a usage record's JSON (the ledger frame's payload) straight into a pooled buffer: names
/// as constant bytes, numbers formatted in place, strings escaped in runs. The fields, in this
/// order: <c>time_ms</c> (Unix ms), <c>request_id</c>, <c>consumer</c>, <c>route</c>, <c>api</c>,
/// <c>provider</c>, <c>model_asked</c>, <c>model_used</c>, <c>input_tokens</c>,
/// <c>output_tokens</c>, <c>cached_input_tokens</c>, <c>cache_write_input_tokens</c>,
/// <c>reasoning_tokens</c>, <c>reported</c> (false: the token counts are a tokenizer's
/// estimate), <c>cost_usd</c>, <c>status</c>, <c>stream</c>, <c>ttft_ms</c>, <c>duration_ms</c>,
/// <c>attempts</c>. The same JSON a <see cref="System.Text.Json.Utf8JsonWriter"/> made for ASCII
/// text (readers of older ledgers see no difference), at a fraction of its cost: that writer's
/// per-value checks and escaping passes were most of the AI stage's completion on the ai-stream
/// bench (perf), and every AI exchange writes one record.
/// </summary>
internal static class UsageRecordWriter
{
    /// <summary>Characters that cannot stand raw in a JSON string: controls, the quote and the backslash.</summary>
    private static readonly SearchValues<char> CharsToEscape = SearchValues.Create(
        "\u0000\u0001\u0002\u0003\u0004\u0005\u0006\u0007\b\t\n\u000B\f\r\u000E\u000F"
        + "\u0010\u0011\u0012\u0013\u0014\u0015\u0016\u0017\u0018\u0019\u001A\u001B\u001C\u001D\u001E\u001F\"\\");

    /// <summary>Request-id bytes written as they are: printable ASCII but the quote and the backslash.</summary>
    private static readonly SearchValues<byte> PlainIdBytes = SearchValues.Create(
        " !#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[]^_`abcdefghijklmnopqrstuvwxyz{|}~"u8);

    public static void Write(PooledByteBuffer output, in UsageRecord record)
    {
        output.Write("{\"time_ms\":"u8);
        Number(output, record.UnixMs);
        if (!record.RequestIdUtf8.IsEmpty)
        {
            output.Write(",\"request_id\":\""u8);
            IdBytes(output, record.RequestIdUtf8.Span);
            output.Write("\""u8);
        }
        else
        {
            String(output, ",\"request_id\":\""u8, record.RequestId);
        }
        String(output, ",\"consumer\":\""u8, record.Consumer);
        String(output, ",\"route\":\""u8, record.Route);
        output.Write(",\"api\":\""u8);
        output.Write(UsageLedgerFormat.ApiNameUtf8(record.Api));
        output.Write("\""u8);
        String(output, ",\"provider\":\""u8, record.Provider);
        String(output, ",\"model_asked\":\""u8, record.ModelAsked);
        String(output, ",\"model_used\":\""u8, record.ModelUsed);
        var usage = record.Usage;
        Number(output, ",\"input_tokens\":"u8, usage.Input);
        Number(output, ",\"output_tokens\":"u8, usage.Output);
        Number(output, ",\"cached_input_tokens\":"u8, usage.CachedInput);
        Number(output, ",\"cache_write_input_tokens\":"u8, usage.CacheWriteInput);
        Number(output, ",\"reasoning_tokens\":"u8, usage.Reasoning);
        output.Write(usage.Reported ? ",\"reported\":true"u8 : ",\"reported\":false"u8);
        output.Write(",\"cost_usd\":"u8);
        Cost(output, record.CostUsd);
        Number(output, ",\"status\":"u8, record.Status);
        output.Write(record.Stream ? ",\"stream\":true"u8 : ",\"stream\":false"u8);
        Milliseconds(output, ",\"ttft_ms\":"u8, record.TimeToFirstTokenMs);
        Milliseconds(output, ",\"duration_ms\":"u8, record.DurationMs);
        Number(output, ",\"attempts\":"u8, record.Attempts);
        output.Write("}"u8);
    }

    private static void Number(PooledByteBuffer output, ReadOnlySpan<byte> prefix, long value)
    {
        output.Write(prefix);
        Number(output, value);
    }

    private static void Number(PooledByteBuffer output, long value)
    {
        var span = output.GetSpan(20);
        Utf8Formatter.TryFormat(value, span, out var written);
        output.Advance(written);
    }

    /// <summary>The exact decimal, as <see cref="decimal"/> formats it ("0" for an unpriced model, the common case, written as is).</summary>
    private static void Cost(PooledByteBuffer output, decimal value)
    {
        if (value == 0)
        {
            output.Write("0"u8);
            return;
        }
        var span = output.GetSpan(64);
        Utf8Formatter.TryFormat(value, span, out var written);
        output.Advance(written);
    }

    /// <summary>
    /// Rounded to the microsecond and written as its decimal digits without trailing zeros (what
    /// the shortest round-trip text of the rounded double is), from integers: formatting the double
    /// cost more than the rest of the record. Past <see cref="MaxFixedMs"/>, or for what is not a
    /// number, the double's own text.
    /// </summary>
    private static void Milliseconds(PooledByteBuffer output, ReadOnlySpan<byte> prefix, double value)
    {
        output.Write(prefix);
        Milliseconds(output, value);
    }

    private static void Milliseconds(PooledByteBuffer output, double value)
    {
        value = double.IsFinite(value) ? Math.Round(value, 3) : 0;
        if (value is < 0 or >= MaxFixedMs)
        {
            var text = output.GetSpan(32);
            value.TryFormat(text, out var length, default, CultureInfo.InvariantCulture);
            output.Advance(length);
            return;
        }
        var micros = (long)Math.Round(value * 1000);
        var whole = micros / 1000;
        var fraction = (int)(micros % 1000);
        Number(output, whole);
        if (fraction == 0)
        {
            return;
        }
        var digits = 3;
        while (fraction % 10 == 0)
        {
            fraction /= 10;
            digits--;
        }
        var span = output.GetSpan(4);
        span[0] = (byte)'.';
        for (var i = digits; i > 0; i--)
        {
            span[i] = (byte)('0' + fraction % 10);
            fraction /= 10;
        }
        output.Advance(digits + 1);
    }

    /// <summary>About eleven days: below it a millisecond figure with three decimals is exact in a double.</summary>
    private const double MaxFixedMs = 1e9;

    /// <summary>
    /// <paramref name="prefix"/> (which opens the string), the text clipped to
    /// <see cref="UsageLedgerFormat.MaxStringLength"/> characters, and the closing quote.
    /// </summary>
    private static void String(PooledByteBuffer output, ReadOnlySpan<byte> prefix, string? value)
    {
        output.Write(prefix);
        var text = value.AsSpan();
        if (text.Length > UsageLedgerFormat.MaxStringLength)
        {
            text = text[..UsageLedgerFormat.MaxStringLength];
            if (char.IsHighSurrogate(text[^1]))
            {
                // Half a pair would become a replacement character; the clip drops it instead.
                text = text[..^1];
            }
        }
        while (!text.IsEmpty)
        {
            var escape = text.IndexOfAny(CharsToEscape);
            var run = escape < 0 ? text : text[..escape];
            if (!run.IsEmpty)
            {
                // A lone surrogate becomes U+FFFD: the ledger holds valid UTF-8 only.
                var span = output.GetSpan(Encoding.UTF8.GetMaxByteCount(run.Length));
                output.Advance(Encoding.UTF8.GetBytes(run, span));
            }
            if (escape < 0)
            {
                break;
            }
            Escape(output, text[escape]);
            text = text[(escape + 1)..];
        }
        output.Write("\""u8);
    }

    /// <summary>A request id's bytes, as ASCII text would be written (other bytes become '?').</summary>
    private static void IdBytes(PooledByteBuffer output, ReadOnlySpan<byte> id)
    {
        while (!id.IsEmpty)
        {
            var other = id.IndexOfAnyExcept(PlainIdBytes);
            output.Write(other < 0 ? id : id[..other]);
            if (other < 0)
            {
                return;
            }
            var b = id[other];
            if (b >= 0x80)
            {
                output.Write("?"u8);
            }
            else
            {
                Escape(output, (char)b);
            }
            id = id[(other + 1)..];
        }
    }

    /// <summary>The JSON escape of a control character, the quote or the backslash (short forms where JSON has them).</summary>
    private static void Escape(PooledByteBuffer output, char c)
    {
        switch (c)
        {
            case '"': output.Write("\\\""u8); return;
            case '\\': output.Write("\\\\"u8); return;
            case '\n': output.Write("\\n"u8); return;
            case '\r': output.Write("\\r"u8); return;
            case '\t': output.Write("\\t"u8); return;
            case '\b': output.Write("\\b"u8); return;
            case '\f': output.Write("\\f"u8); return;
        }
        var span = output.GetSpan(6);
        "\\u00"u8.CopyTo(span);
        span[4] = HexDigit(c >> 4);
        span[5] = HexDigit(c & 0xF);
        output.Advance(6);
    }

    private static byte HexDigit(int value) => (byte)(value < 10 ? '0' + value : 'A' + value - 10);
}
