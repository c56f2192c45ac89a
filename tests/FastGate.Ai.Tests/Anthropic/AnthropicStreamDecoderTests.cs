using System.Text;
using System.Text.Json.Nodes;
using FastGate.Ai.Providers;
using FastGate.Ai.Providers.Anthropic;

namespace FastGate.Ai.Tests.Anthropic;

public class AnthropicStreamDecoderTests
{
    private static readonly string[] Streams =
        ["text-stream.sse", "tool-use-stream.sse", "thinking-stream.sse", "cache-usage-stream.sse", "error-stream.sse", "garbage-stream.sse"];

    private static RecordingSink DecodeWhole(string file) =>
        AnthropicTestData.Decode(new AnthropicAdapter().NewStreamDecoder(), AnthropicTestData.Body(file));

    private static string Content(RecordingSink sink) => string.Concat(sink.Parsed
        .Where(c => c["choices"]!.AsArray().Count > 0)
        .Select(c => (string?)c["choices"]![0]!["delta"]!["content"] ?? ""));

    [Fact]
    public void OnEvent_TextStream_RoleChunkThenOneChunkPerDeltaThenFinishAndUsage()
    {
        var sink = DecodeWhole("text-stream.sse");

        var chunks = sink.Parsed.ToList();
        Assert.Equal(6, chunks.Count);
        Assert.Equal("assistant", (string?)chunks[0]["choices"]![0]!["delta"]!["role"]);
        Assert.Equal(["Hello", ", \"world\"", "!\nBye é"], chunks[1..4].Select(c => (string)c["choices"]![0]!["delta"]!["content"]!));
        Assert.Equal("stop", (string?)chunks[4]["choices"]![0]!["finish_reason"]);
        Assert.Empty(chunks[5]["choices"]!.AsArray());
        Assert.Equal(25, (int)chunks[5]["usage"]!["prompt_tokens"]!);
        Assert.Equal(15, (int)chunks[5]["usage"]!["completion_tokens"]!);
        Assert.Equal(40, (int)chunks[5]["usage"]!["total_tokens"]!);
        foreach (var chunk in chunks)
        {
            Assert.Equal("msg_01TextStream", (string?)chunk["id"]);
            Assert.Equal("claude-sonnet-4-5", (string?)chunk["model"]);
            Assert.Equal("chat.completion.chunk", (string?)chunk["object"]);
        }
        Assert.Equal(1, sink.DoneCount);
        Assert.Null(sink.LastError);
        Assert.False(sink.Failed);
        Assert.Equal(new TokenUsage { Input = 25, Output = 15, Reported = true }, sink.Usage);
        // The output text is the JSON string bytes as they came, escapes left in.
        Assert.Equal("Hello, \\\"world\\\"!\\nBye \\u00e9", sink.OutputText.ToString());
    }

    [Fact]
    public void OnEvent_ToolUseStream_ToolCallsWithIdNameIndexAndArgumentPieces()
    {
        var sink = DecodeWhole("tool-use-stream.sse");

        var toolChunks = sink.Parsed.Where(c => c["choices"]!.AsArray().Count > 0 && c["choices"]![0]!["delta"]!["tool_calls"] is not null).ToList();
        var first = toolChunks[0]["choices"]![0]!["delta"]!["tool_calls"]![0]!;
        Assert.Equal(0, (int)first["index"]!);
        Assert.Equal("toolu_01Weather", (string?)first["id"]);
        Assert.Equal("function", (string?)first["type"]);
        Assert.Equal("get_weather", (string?)first["function"]!["name"]);
        Assert.Equal("", (string?)first["function"]!["arguments"]);

        string Arguments(int index) => string.Concat(toolChunks
            .Select(c => c["choices"]![0]!["delta"]!["tool_calls"]![0]!)
            .Where(t => (int)t["index"]! == index)
            .Select(t => (string?)t["function"]!["arguments"] ?? ""));
        // The empty first piece makes no chunk: three pieces for the first call, one for the second.
        Assert.Equal(6, toolChunks.Count);
        Assert.Equal("{\"city\": \"Paris\"}", Arguments(0));
        Assert.Equal("{\"zone\":\"CET\"}", Arguments(1));
        var second = toolChunks[4]["choices"]![0]!["delta"]!["tool_calls"]![0]!;
        Assert.Equal(("toolu_02Time", "get_time", 1), ((string)second["id"]!, (string)second["function"]!["name"]!, (int)second["index"]!));
        Assert.Equal("Let me check the weather.", Content(sink));
        Assert.Equal("tool_calls", sink.Parsed.Select(c => c["choices"]!.AsArray().Count > 0 ? (string?)c["choices"]![0]!["finish_reason"] : null).Single(f => f is not null));
        Assert.Equal(new TokenUsage { Input = 472, Output = 89, Reported = true }, sink.Usage);
        Assert.Equal(1, sink.DoneCount);
    }

    [Fact]
    public void OnEvent_ThinkingStream_ThinkingLeftOutOutputTokensAsReported()
    {
        var sink = DecodeWhole("thinking-stream.sse");

        Assert.Equal("27 * 453 = 12231", Content(sink));
        Assert.DoesNotContain(sink.Chunks, c => c.Contains("work out") || c.Contains("EqQB"));
        Assert.Equal(new TokenUsage { Input = 30, Output = 120, Reported = true }, sink.Usage);
        Assert.Equal(1, sink.DoneCount);
    }

    [Fact]
    public void OnEvent_CacheUsage_InputCountsCacheReadsAndWrites()
    {
        var sink = DecodeWhole("cache-usage-stream.sse");

        Assert.Equal(new TokenUsage { Input = 2312, CachedInput = 2000, CacheWriteInput = 300, Output = 7, Reported = true }, sink.Usage);
        var last = sink.Parsed.Last();
        Assert.Equal(2312, (int)last["usage"]!["prompt_tokens"]!);
        Assert.Equal(2000, (int)last["usage"]!["prompt_tokens_details"]!["cached_tokens"]!);
        Assert.Equal(7, (int)last["usage"]!["completion_tokens"]!);
        Assert.Contains(sink.Parsed, c => c["choices"]!.AsArray().Count > 0 && (string?)c["choices"]![0]!["finish_reason"] == "length");
    }

    [Fact]
    public void OnEvent_ErrorEvent_SinkErrorWithOverloadedStatusAndNoDone()
    {
        var sink = DecodeWhole("error-stream.sse");

        Assert.Equal("Part", Content(sink));
        Assert.Equal(new AiError(503, "overloaded_error", "Overloaded"), sink.LastError);
        Assert.Equal(0, sink.DoneCount);
        Assert.False(sink.Failed);
    }

    [Fact]
    public void OnEvent_GarbageData_ReturnsFalse()
    {
        var sink = DecodeWhole("garbage-stream.sse");

        Assert.True(sink.Failed);
        Assert.Equal(0, sink.DoneCount);
        Assert.Single(sink.Chunks);
    }

    [Theory]
    [InlineData("message_start", "{\"type\":\"message_start\",\"message\":\"not an object\"}")]
    [InlineData("content_block_delta", "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":5}}")]
    [InlineData("content_block_delta", "{\"type\":\"content_block_delta\",\"index\":3,\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"{}\"}}")]
    [InlineData("content_block_start", "{\"type\":\"content_block_start\",\"content_block\":{\"type\":\"text\",\"text\":\"\"}}")]
    [InlineData("message_delta", "[1,2")]
    [InlineData("error", "nope")]
    public void OnEvent_MalformedEvent_ReturnsFalse(string type, string data)
    {
        var decoder = new AnthropicAdapter().NewStreamDecoder();
        decoder.Reset(default);
        var usage = default(TokenUsage);

        Assert.False(decoder.OnEvent(Encoding.UTF8.GetBytes(type), Encoding.UTF8.GetBytes(data), new RecordingSink(), ref usage));
    }

    [Fact]
    public void OnEvent_ServerToolInput_NotMixedIntoTheToolCallBefore()
    {
        var stream = Encoding.UTF8.GetString(AnthropicTestData.Body("tool-use-stream.sse"))
            .Replace("\"type\":\"tool_use\",\"id\":\"toolu_02Time\",\"name\":\"get_time\"", "\"type\":\"server_tool_use\",\"id\":\"srvtoolu_1\",\"name\":\"web_search\"");
        var sink = AnthropicTestData.Decode(new AnthropicAdapter().NewStreamDecoder(), Encoding.UTF8.GetBytes(stream));

        Assert.False(sink.Failed);
        Assert.DoesNotContain(sink.Chunks, c => c.Contains("zone") || c.Contains("web_search"));
        Assert.Equal(1, sink.DoneCount);
    }

    [Fact]
    public void OnEvent_NoUsageAnywhere_NoUsageChunkAndNotReported()
    {
        var stream = Encoding.UTF8.GetString(AnthropicTestData.Body("text-stream.sse"));
        stream = stream.Replace(",\"usage\":{\"input_tokens\":25,\"cache_creation_input_tokens\":0,\"cache_read_input_tokens\":0,\"output_tokens\":1}", "")
            .Replace(",\"usage\":{\"output_tokens\":15}", "");
        var sink = AnthropicTestData.Decode(new AnthropicAdapter().NewStreamDecoder(), Encoding.UTF8.GetBytes(stream));

        Assert.False(sink.Usage.Reported);
        Assert.All(sink.Parsed, c => Assert.Null(c["usage"]));
        Assert.Equal(1, sink.DoneCount);
    }

    [Fact]
    public void OnEvent_EveryStreamSplitAtEveryByte_SameChunksUsageAndEnd()
    {
        foreach (var file in Streams)
        {
            var stream = AnthropicTestData.Body(file);
            var decoder = new AnthropicAdapter().NewStreamDecoder();
            var whole = AnthropicTestData.Decode(decoder, stream);
            var expected = whole.Chunks.Select(AnthropicTestData.Normalized).ToList();
            for (var cut = 1; cut < stream.Length; cut++)
            {
                // The same decoder, reset: reuse must not carry state between exchanges.
                var split = AnthropicTestData.Decode(decoder, stream, cut);
                Assert.Equal(expected, split.Chunks.Select(AnthropicTestData.Normalized).ToList());
                Assert.Equal(whole.Usage, split.Usage);
                Assert.Equal((whole.DoneCount, whole.LastError, whole.Failed), (split.DoneCount, split.LastError, split.Failed));
            }
            var byteByByte = AnthropicTestData.Decode(decoder, stream, Enumerable.Range(1, stream.Length - 1).ToArray());
            Assert.Equal(expected, byteByByte.Chunks.Select(AnthropicTestData.Normalized).ToList());
            Assert.Equal(whole.Usage, byteByByte.Usage);
        }
    }

    [Fact]
    public void OnEvent_AfterWarmUp_AllocatesNothingPerEvent()
    {
        var decoder = new AnthropicAdapter().NewStreamDecoder();
        var sink = new CountingSink();
        var events = ParseEvents(AnthropicTestData.Body("tool-use-stream.sse"));
        Run(decoder, sink, events);

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 100; i++)
        {
            Run(decoder, sink, events);
        }
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(0, allocated);
        Assert.True(sink.Chunks > 100);
    }

    private static List<(byte[] Type, byte[] Data)> ParseEvents(byte[] stream)
    {
        var reader = new FastGate.Core.Sse.SseEventReader();
        reader.Append(stream);
        var events = new List<(byte[], byte[])>();
        while (reader.TryRead(out var e))
        {
            events.Add((e.EventType.ToArray(), e.Data.ToArray()));
        }
        return events;
    }

    private static void Run(ProviderStreamDecoder decoder, CountingSink sink, List<(byte[] Type, byte[] Data)> events)
    {
        decoder.Reset(default);
        var usage = default(TokenUsage);
        foreach (var (type, data) in events)
        {
            Assert.True(decoder.OnEvent(type, data, sink, ref usage));
        }
    }

    private sealed class CountingSink : IPivotStreamSink
    {
        public int Chunks;

        public void Chunk(ReadOnlySpan<byte> pivotChunk, ReadOnlySpan<byte> outputText) => Chunks++;

        public void Done()
        {
        }

        public void Error(in AiError error)
        {
        }
    }
}
