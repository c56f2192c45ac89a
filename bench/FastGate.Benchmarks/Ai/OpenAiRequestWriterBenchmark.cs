using System.Buffers;
using System.Text;
using System.Text.Json;
using System.Text.Unicode;
using BenchmarkDotNet.Attributes;
using FastGate.Ai.Providers;
using FastGate.Ai.Providers.OpenAi;

namespace FastGate.Benchmarks.Ai;

/// <summary>
/// The upstream body of one OpenAI chat request on an OpenAI-kind provider (what the ai-stream bench's
/// route writes per request): a ~3 KB pivot with a system prompt, a few user and assistant turns and a
/// tools array, its model replaced, stream set and <c>stream_options.include_usage</c> forced. Figures
/// are per request. The goal is 0 B allocated.
/// </summary>
[MemoryDiagnoser]
public class OpenAiRequestWriterBenchmark
{
    private readonly ArrayBufferWriter<byte> _body = new(8192);
    private readonly byte[] _model = "gpt-4o-mini-2024-07-18"u8.ToArray();
    private readonly ArrayBufferWriter<byte> _frontPivot = new(8192);
    private byte[] _pivot = [];
    private RequestFacts _frontFacts;

    /// <summary>A streamed request (stream_options rewritten) or one that does not stream (stream_options dropped).</summary>
    [Params(true, false)]
    public bool Stream { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var text = new StringBuilder();
        text.Append("""{"model":"gpt-4o-mini","messages":[""");
        text.Append("""{"role":"system","content":"You are a careful assistant for an online shop. Answer in the customer's language, keep answers short, never invent order numbers, and call a tool whenever the answer depends on live data such as stock, prices or delivery dates."},""");
        for (var turn = 0; turn < 3; turn++)
        {
            text.Append($$"""{"role":"user","content":"Turn {{turn}}: I ordered a pair of running shoes last week (size 42, blue) and the tracking page still says \"label created\". Can you check where the parcel is and when it should arrive?"},""");
            text.Append($$"""{"role":"assistant","content":"Of course. I looked up order {{turn}}: the parcel left the warehouse yesterday evening and the carrier expects to deliver it on Thursday between 9:00 and 13:00. You will get an e-mail with a live tracking link as soon as it is out for delivery."},""");
        }
        text.Append("""{"role":"user","content":"Thanks! And are the same shoes in size 43 in stock? Price in € please."}],""");
        text.Append("""
            "tools":[{"type":"function","function":{"name":"get_stock","description":"Stock level of a product variant in the main warehouse.","parameters":{"type":"object","properties":{"sku":{"type":"string","description":"The product's SKU."},"size":{"type":"integer","minimum":30,"maximum":50}},"required":["sku","size"]}}},
            {"type":"function","function":{"name":"get_price","description":"Current price of a product in a currency.","parameters":{"type":"object","properties":{"sku":{"type":"string"},"currency":{"type":"string","enum":["EUR","USD","GBP"]}},"required":["sku","currency"]}}},
            {"type":"function","function":{"name":"track_parcel","description":"Where a parcel is and its expected delivery window.","parameters":{"type":"object","properties":{"order_id":{"type":"string"}},"required":["order_id"]}}}],
            "tool_choice":"auto","temperature":0.3,"max_completion_tokens":512,"stream":true,"stream_options":{"include_usage":false},"user":"customer-4711"}
            """);
        // Compact, as client libraries send it (the tools above are on several lines for reading only).
        _pivot = Encoding.UTF8.GetBytes(text.ToString().ReplaceLineEndings(""));
        if (!OpenAiRequestReader.TryRead(ClientApi.OpenAiChat, _pivot, _frontPivot, out _frontFacts, out var error) || !_frontFacts.Layout.Known)
        {
            throw new InvalidOperationException($"the front refused the pivot or found no layout: {error.Message}");
        }
    }

    public int PivotBytes => _pivot.Length;

    /// <summary>The writer without a layout (a pivot another front wrote): the member-by-member rewrite, one more reader pass.</summary>
    [Benchmark(Baseline = true)]
    public int TryWrite()
    {
        _body.ResetWrittenCount();
        var facts = new RequestFacts { Stream = Stream };
        OpenAiRequestWriter.TryWrite(ClientApi.OpenAiChat, _pivot, facts, _model, _body, out _);
        return _body.WrittenCount;
    }

    /// <summary>The writer as the stage calls it: with the facts the OpenAI front found, so the members are copied as ranges.</summary>
    [Benchmark]
    public int TryWriteFromLayout()
    {
        _body.ResetWrittenCount();
        var facts = _frontFacts with { Stream = Stream };
        OpenAiRequestWriter.TryWrite(ClientApi.OpenAiChat, _pivot, facts, _model, _body, out _);
        return _body.WrittenCount;
    }

    /// <summary>The front's read of the client's body (the one tokenising pass left per request), which also finds the layout.</summary>
    [Benchmark]
    public int ReadRequest()
    {
        _frontPivot.ResetWrittenCount();
        OpenAiRequestReader.TryRead(ClientApi.OpenAiChat, _pivot, _frontPivot, out var facts, out _);
        return facts.ModelLength;
    }

    /// <summary>The floor: one reader pass over the pivot, what validating it as JSON costs whatever is written.</summary>
    [Benchmark]
    public int ReadPass()
    {
        var reader = new Utf8JsonReader(_pivot);
        var tokens = 0;
        while (reader.Read())
        {
            tokens++;
        }
        return tokens;
    }

    /// <summary>What checking the whole pivot for valid UTF-8 would add (values are copied as they came, unchecked).</summary>
    [Benchmark]
    public bool ValidateUtf8() => Utf8.IsValid(_pivot);
}
