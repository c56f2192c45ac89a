using System.Buffers;
using System.Text;
using System.Text.Json.Nodes;
using FastGate.Ai.Providers;
using FastGate.Ai.Providers.Anthropic;

namespace FastGate.Ai.Tests.Anthropic;

public class AnthropicStreamEncoderTests
{
    private static string Chunk(string delta, string? finish = null) =>
        $"{{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"gpt-x\",\"choices\":[{{\"index\":0,\"delta\":{delta},\"finish_reason\":{(finish is null ? "null" : $"\"{finish}\"")}}}]}}";

    private static (ArrayBufferWriter<byte> Output, FrontStreamEncoder Encoder) Encode(IEnumerable<string> chunks)
    {
        var encoder = new AnthropicMessagesFront().NewStreamEncoder();
        encoder.Reset(default);
        var output = new ArrayBufferWriter<byte>();
        foreach (var chunk in chunks)
        {
            encoder.Chunk(Encoding.UTF8.GetBytes(chunk), output);
        }
        return (output, encoder);
    }

    [Fact]
    public void Chunk_TextThenTwoToolCalls_BlocksOpenAndCloseInOrder()
    {
        var (output, encoder) = Encode([
            Chunk("{\"role\":\"assistant\",\"content\":\"\"}"),
            Chunk("{\"content\":\"Hel\"}"),
            Chunk("{\"content\":\"lo \\\"x\\\"\"}"),
            Chunk("{\"tool_calls\":[{\"index\":0,\"id\":\"call_a\",\"type\":\"function\",\"function\":{\"name\":\"get_weather\",\"arguments\":\"\"}}]}"),
            Chunk("{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":\"{\\\"city\\\":\"}}]}"),
            Chunk("{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":\"\\\"Paris\\\"}\"}}]}"),
            Chunk("{\"tool_calls\":[{\"index\":1,\"id\":\"call_b\",\"type\":\"function\",\"function\":{\"name\":\"get_time\",\"arguments\":\"{}\"}}]}"),
            Chunk("{}", "tool_calls"),
            "{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"gpt-x\",\"choices\":[],\"usage\":{\"prompt_tokens\":9,\"completion_tokens\":5,\"total_tokens\":14}}",
        ]);
        encoder.Done(new TokenUsage { Input = 1009, CachedInput = 1000, Output = 5, Reported = true }, output);

        var events = AnthropicTestData.Events(output.WrittenSpan);
        Assert.Equal(
            ["message_start", "content_block_start", "content_block_delta", "content_block_delta", "content_block_stop",
             "content_block_start", "content_block_delta", "content_block_delta", "content_block_stop",
             "content_block_start", "content_block_delta", "content_block_stop", "message_delta", "message_stop"],
            events.Select(e => e.Type));
        // Each event's data names its own type, as the SSE event name does.
        Assert.All(events, e => Assert.Equal(e.Type, (string?)e.Data["type"]));

        var message = events[0].Data["message"]!;
        Assert.Equal("chatcmpl-1", (string?)message["id"]);
        Assert.Equal("message", (string?)message["type"]);
        Assert.Equal("assistant", (string?)message["role"]);
        Assert.Equal("gpt-x", (string?)message["model"]);
        Assert.Empty(message["content"]!.AsArray());
        Assert.Null(message["stop_reason"]);
        Assert.NotNull(message["usage"]!["input_tokens"]);
        Assert.NotNull(message["usage"]!["output_tokens"]);

        Assert.Equal(0, (int)events[1].Data["index"]!);
        Assert.Equal("text", (string?)events[1].Data["content_block"]!["type"]);
        Assert.Equal("", (string?)events[1].Data["content_block"]!["text"]);
        Assert.Equal("Hello \"x\"", string.Concat(events[2..4].Select(e => (string)e.Data["delta"]!["text"]!)));
        Assert.All(events[2..4], e => Assert.Equal("text_delta", (string?)e.Data["delta"]!["type"]));
        Assert.Equal(0, (int)events[4].Data["index"]!);

        var tool = events[5].Data["content_block"]!;
        Assert.Equal(1, (int)events[5].Data["index"]!);
        Assert.Equal(("tool_use", "call_a", "get_weather"), ((string)tool["type"]!, (string)tool["id"]!, (string)tool["name"]!));
        Assert.Empty(tool["input"]!.AsObject());
        // The Anthropic .NET SDK's response validation requires the caller on tool_use blocks.
        Assert.Equal("direct", (string?)tool["caller"]!["type"]);
        Assert.All(events[6..8], e => Assert.Equal(("input_json_delta", 1), ((string)e.Data["delta"]!["type"]!, (int)e.Data["index"]!)));
        var input = JsonNode.Parse(string.Concat(events[6..8].Select(e => (string)e.Data["delta"]!["partial_json"]!)))!;
        Assert.Equal("Paris", (string?)input["city"]);
        Assert.Equal(1, (int)events[8].Data["index"]!);

        Assert.Equal(2, (int)events[9].Data["index"]!);
        Assert.Equal("call_b", (string?)events[9].Data["content_block"]!["id"]);
        Assert.Equal("{}", (string?)events[10].Data["delta"]!["partial_json"]);
        Assert.Equal(2, (int)events[11].Data["index"]!);

        var delta = events[12].Data;
        Assert.Equal("tool_use", (string?)delta["delta"]!["stop_reason"]);
        Assert.Null(delta["delta"]!["stop_sequence"]);
        Assert.Equal(5, (int)delta["usage"]!["output_tokens"]!);
        Assert.Equal(9, (int)delta["usage"]!["input_tokens"]!);
        Assert.Equal(1000, (int)delta["usage"]!["cache_read_input_tokens"]!);
    }

    [Fact]
    public void Chunk_ToolCallsWithoutIdsOrWithRepeatedIds_OneBlockPerIndexWithDistinctIds()
    {
        var (output, encoder) = Encode([
            Chunk("{\"tool_calls\":[{\"index\":0,\"function\":{\"name\":\"a\",\"arguments\":\"{}\"}},{\"index\":1,\"function\":{\"name\":\"b\",\"arguments\":\"{}\"}}]}"),
            Chunk("{\"tool_calls\":[{\"index\":2,\"id\":\"c1\",\"function\":{\"name\":\"c\",\"arguments\":\"{\\\"x\\\":\"}}]}"),
            Chunk("{\"tool_calls\":[{\"index\":2,\"id\":\"c1\",\"function\":{\"arguments\":\"1}\"}}]}"),
        ]);
        encoder.Done(default, output);

        var starts = AnthropicTestData.Events(output.WrittenSpan).Where(e => e.Type == "content_block_start").Select(e => e.Data["content_block"]!).ToList();
        Assert.Equal(["a", "b", "c"], starts.Select(b => (string)b["name"]!));
        Assert.Equal(3, starts.Select(b => (string)b["id"]!).Distinct().Count());
        Assert.Equal("c1", (string?)starts[2]["id"]);
    }

    [Theory]
    [InlineData("stop", "end_turn")]
    [InlineData("length", "max_tokens")]
    [InlineData("tool_calls", "tool_use")]
    [InlineData("content_filter", "refusal")]
    public void Done_FinishReason_MappedToStopReason(string finish, string stop)
    {
        var (output, encoder) = Encode([Chunk("{\"content\":\"x\"}"), Chunk("{}", finish)]);
        encoder.Done(new TokenUsage { Output = 1 }, output);

        var events = AnthropicTestData.Events(output.WrittenSpan);
        Assert.Equal(stop, (string?)events.Single(e => e.Type == "message_delta").Data["delta"]!["stop_reason"]);
        Assert.Equal("message_stop", events[^1].Type);
    }

    [Fact]
    public void Done_WithoutAnyChunk_StillAWholeMessage()
    {
        var (output, encoder) = Encode([]);
        encoder.Done(default, output);

        Assert.Equal(["message_start", "message_delta", "message_stop"], AnthropicTestData.Events(output.WrittenSpan).Select(e => e.Type));
    }

    [Fact]
    public void Error_AfterText_ErrorEventAndNothingAfter()
    {
        var (output, encoder) = Encode([Chunk("{\"content\":\"Part\"}")]);
        encoder.Error(new AiError(502, "api_error", "upstream cut the stream"), output);
        encoder.Done(default, output);

        var events = AnthropicTestData.Events(output.WrittenSpan);
        Assert.Equal(["message_start", "content_block_start", "content_block_delta", "error"], events.Select(e => e.Type));
        Assert.Equal("error", (string?)events[^1].Data["type"]);
        Assert.Equal("api_error", (string?)events[^1].Data["error"]!["type"]);
        Assert.Equal("upstream cut the stream", (string?)events[^1].Data["error"]!["message"]);
    }

    [Fact]
    public void Encoder_AnthropicStreamThroughDecoderAndBack_SameTextToolInputsAndUsage()
    {
        foreach (var file in new[] { "text-stream.sse", "tool-use-stream.sse", "cache-usage-stream.sse" })
        {
            var original = AnthropicTestData.Events(AnthropicTestData.Body(file));
            var sink = AnthropicTestData.Decode(new AnthropicAdapter().NewStreamDecoder(), AnthropicTestData.Body(file));
            var (output, encoder) = Encode(sink.Chunks);
            encoder.Done(sink.Usage, output);
            var again = AnthropicTestData.Events(output.WrittenSpan);

            Assert.Equal(Summary(original), Summary(again));
            // Pings and empty argument pieces carry nothing and are not repeated.
            Assert.Equal(
                original.Where(e => e.Type != "ping" && (string?)e.Data["delta"]?["partial_json"] != "").Select(e => e.Type),
                again.Select(e => e.Type));
        }
    }

    /// <summary>What a client reads from a stream: each block's kind, text or tool id, name and input; the stop reason; the usage.</summary>
    private static string Summary(List<(string Type, JsonNode Data)> events)
    {
        var blocks = new SortedDictionary<int, (string Kind, string Id, string Name, StringBuilder Text)>();
        var summary = new StringBuilder();
        foreach (var (type, data) in events)
        {
            switch (type)
            {
                case "content_block_start":
                    var block = data["content_block"]!;
                    blocks[(int)data["index"]!] = ((string)block["type"]!, (string?)block["id"] ?? "", (string?)block["name"] ?? "", new StringBuilder());
                    break;
                case "content_block_delta":
                    var delta = data["delta"]!;
                    blocks[(int)data["index"]!].Text.Append((string?)delta["text"] ?? (string?)delta["partial_json"]);
                    break;
                case "message_delta":
                    summary.Append($"stop={data["delta"]!["stop_reason"]};");
                    var usage = data["usage"]!;
                    var input = (int?)usage["input_tokens"] ?? (int?)events[0].Data["message"]!["usage"]!["input_tokens"];
                    summary.Append($"in={input};out={usage["output_tokens"]};cr={(int?)usage["cache_read_input_tokens"] ?? 0};cw={(int?)usage["cache_creation_input_tokens"] ?? 0};");
                    break;
            }
        }
        foreach (var (_, b) in blocks)
        {
            var text = b.Kind == "tool_use" ? JsonNode.Parse(b.Text.ToString())!.ToJsonString() : b.Text.ToString();
            summary.Append($"[{b.Kind}|{b.Id}|{b.Name}|{text}]");
        }
        return summary.ToString();
    }

    [Fact]
    public void Chunk_AfterWarmUp_AllocatesNothingPerChunk()
    {
        var sink = AnthropicTestData.Decode(new AnthropicAdapter().NewStreamDecoder(), AnthropicTestData.Body("tool-use-stream.sse"));
        var chunks = sink.Chunks.Select(Encoding.UTF8.GetBytes).ToList();
        var encoder = new AnthropicMessagesFront().NewStreamEncoder();
        var output = new ArrayBufferWriter<byte>(64 * 1024);
        void Run()
        {
            output.ResetWrittenCount();
            encoder.Reset(default);
            foreach (var chunk in chunks)
            {
                encoder.Chunk(chunk, output);
            }
            encoder.Done(sink.Usage, output);
        }
        Run();

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 100; i++)
        {
            Run();
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
