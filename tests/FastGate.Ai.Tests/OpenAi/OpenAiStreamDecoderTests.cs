using System.Text;
using FastGate.Ai.Providers;
using FastGate.Ai.Providers.OpenAi;
using static FastGate.Ai.Tests.OpenAi.OpenAiTestData;

namespace FastGate.Ai.Tests.OpenAi;

public class OpenAiStreamDecoderTests
{
    private static DecodeResult DecodeWhole(string file)
    {
        var stream = Load(file);
        return Decode(new OpenAiAdapter(Proxy.Config.ProviderKind.OpenAi).NewStreamDecoder(), stream, Whole(stream));
    }

    public static TheoryData<string> Streams =>
    [
        "chat-text.sse", "chat-usage.sse", "chat-tools.sse", "chat-usage-in-last-choice.sse", "chat-error.sse",
        "chat-garbage.sse", "chat-truncated-json.sse", "responses.sse", "responses-error.sse", "azure-chat.sse",
    ];

    [Theory]
    [MemberData(nameof(Streams))]
    public void Split_at_every_byte_decodes_as_the_whole_stream(string file)
    {
        var stream = Load(file);
        var decoder = new OpenAiStreamDecoder();
        var whole = Decode(decoder, stream, Whole(stream)).Summary;
        for (var at = 1; at < stream.Length; at++)
        {
            // The same decoder, reset: reuse across exchanges is part of what is tested.
            Assert.Equal(whole, Decode(decoder, stream, SplitAt(stream, at)).Summary);
        }
        Assert.Equal(whole, Decode(decoder, stream, ByteByByte(stream)).Summary);
    }

    [Fact]
    public void Plain_text_stream_passes_every_chunk_with_its_text_and_ends_done_without_usage()
    {
        var result = DecodeWhole("chat-text.sse");

        Assert.Equal(5, result.Sink.Chunks.Count);
        Assert.All(result.Sink.Chunks, chunk => Assert.StartsWith("{\"id\":\"chatcmpl-AaB1\"", chunk));
        // Escapes stay as they came: the text is for a token estimate, not for reading.
        Assert.Equal(["", "Hello", "! Line one\\nline two", " \\\"quoted\\\" caf\\u00e9", ""], result.Sink.Texts);
        Assert.Equal(1, result.Sink.DoneCount);
        Assert.Empty(result.Sink.Errors);
        Assert.False(result.Usage.Reported);
        Assert.False(result.Refused);
    }

    [Fact]
    public void Usage_chunk_gives_input_output_cached_and_reasoning_tokens()
    {
        var result = DecodeWhole("chat-usage.sse");

        Assert.True(result.Usage.Reported);
        Assert.Equal(2006, result.Usage.Input);
        Assert.Equal(300, result.Usage.Output);
        Assert.Equal(1920, result.Usage.CachedInput);
        Assert.Equal(256, result.Usage.Reasoning);
        Assert.Equal(5, result.Sink.Chunks.Count);
        Assert.Contains("\"choices\":[],\"usage\":{", result.Sink.Chunks[^1]);
        Assert.Equal("The answer is 42.", result.Sink.Text);
        Assert.Equal(1, result.Sink.DoneCount);
    }

    [Fact]
    public void Tool_call_argument_pieces_are_the_text()
    {
        var result = DecodeWhole("chat-tools.sse");

        Assert.Equal("{\\\"city\\\":\\\"Paris\\\"}", result.Sink.Text);
        Assert.Equal(8, result.Sink.Chunks.Count);
        Assert.Equal(81, result.Usage.Input);
        Assert.Equal(15, result.Usage.Output);
        Assert.Equal(1, result.Sink.DoneCount);
    }

    [Fact]
    public void Usage_on_a_chunk_with_choices_is_read_and_reasoning_content_is_text()
    {
        var result = DecodeWhole("chat-usage-in-last-choice.sse");

        Assert.Equal(new TokenUsage { Input = 12, Output = 9, Reasoning = 6, Reported = true }, result.Usage);
        Assert.Equal(["Think", "ing...", "Yes.", ""], result.Sink.Texts);
        Assert.Equal(1, result.Sink.DoneCount);
    }

    [Fact]
    public void Azure_prompt_filter_chunk_passes_and_usage_comes_from_the_last_chunk()
    {
        var result = DecodeWhole("azure-chat.sse");

        Assert.Equal(5, result.Sink.Chunks.Count);
        Assert.Contains("prompt_filter_results", result.Sink.Chunks[0]);
        Assert.Equal("Bonjour", result.Sink.Text);
        Assert.Equal(new TokenUsage { Input = 13, Output = 2, Reported = true }, result.Usage);
        Assert.Equal(1, result.Sink.DoneCount);
    }

    [Fact]
    public void Error_event_fails_the_stream_with_the_providers_message()
    {
        var result = DecodeWhole("chat-error.sse");

        Assert.Equal(2, result.Sink.Chunks.Count);
        var error = Assert.Single(result.Sink.Errors);
        Assert.Equal(502, error.Status);
        Assert.Equal("api_error", error.Type);
        Assert.Equal("The server had an error while processing your request. Sorry about that!", error.Message);
        Assert.Equal(0, result.Sink.DoneCount);
        Assert.False(result.Refused);
    }

    [Theory]
    [InlineData("chat-garbage.sse")]
    [InlineData("chat-truncated-json.sse")]
    public void Event_that_is_not_json_is_refused(string file)
    {
        var result = DecodeWhole(file);

        Assert.True(result.Refused);
        Assert.Equal(0, result.Sink.DoneCount);
    }

    [Theory]
    [InlineData("[1,2]")]
    [InlineData("\"text\"")]
    [InlineData("{\"choices\":[1}")]
    [InlineData("{\"id\":1} {\"id\":2}")]
    [InlineData("{\"choices\":[null],\"x\":1}")]
    public void Events_of_the_wrong_shape_are_refused(string data)
    {
        var sink = new RecordingSink();
        var usage = default(TokenUsage);

        Assert.False(new OpenAiStreamDecoder().OnEvent(default, Encoding.UTF8.GetBytes(data), sink, ref usage));
        Assert.Empty(sink.Chunks);
    }

    [Fact]
    public void Responses_stream_emits_no_chunks_and_reads_usage_from_response_completed()
    {
        var result = DecodeWhole("responses.sse");

        Assert.Empty(result.Sink.Chunks);
        Assert.Equal(1, result.Sink.DoneCount);
        Assert.Equal(new TokenUsage { Input = 1037, Output = 70, CachedInput = 1024, Reasoning = 64, Reported = true }, result.Usage);
    }

    [Fact]
    public void Responses_error_event_fails_the_stream_as_a_rate_limit()
    {
        var result = DecodeWhole("responses-error.sse");

        Assert.Empty(result.Sink.Chunks);
        Assert.Equal(0, result.Sink.DoneCount);
        var error = Assert.Single(result.Sink.Errors);
        Assert.Equal(429, error.Status);
        Assert.Equal("rate_limit_error", error.Type);
        Assert.StartsWith("Rate limit reached for gpt-4.1", error.Message);
    }

    [Theory]
    [InlineData("response.incomplete", true)]
    [InlineData("response.failed", true)]
    [InlineData("response.output_text.delta", false)]
    public void Responses_end_events_end_the_stream_with_their_usage(string type, bool ends)
    {
        var sink = new RecordingSink();
        var usage = default(TokenUsage);
        var data = Encoding.UTF8.GetBytes("{\"type\":\"" + type + "\"," + """
            "sequence_number":9,"response":{"id":"resp_2","status":"incomplete","usage":{"input_tokens":40,"output_tokens":16,"output_tokens_details":{"reasoning_tokens":0}}}}
            """);

        Assert.True(new OpenAiStreamDecoder().OnEvent(Encoding.UTF8.GetBytes(type), data, sink, ref usage));
        Assert.Empty(sink.Chunks);
        Assert.Equal(ends ? 1 : 0, sink.DoneCount);
        Assert.Equal(ends, usage.Reported);
        Assert.Equal(ends ? 16 : 0, usage.Output);
    }

    [Fact]
    public void Chunk_adding_content_and_two_tool_calls_gives_the_pieces_joined()
    {
        var sink = new RecordingSink();
        var usage = default(TokenUsage);
        var data = """{"choices":[{"index":0,"delta":{"content":"a","tool_calls":[{"index":0,"function":{"arguments":"{}"}},{"index":1,"function":{"name":"f","arguments":"[1]"}}]}}]}"""u8;

        Assert.True(new OpenAiStreamDecoder().OnEvent(default, data, sink, ref usage));
        Assert.Equal("a{}[1]", Assert.Single(sink.Texts));
    }

    [Fact]
    public void Keep_alive_without_data_is_ignored()
    {
        var sink = new RecordingSink();
        var usage = default(TokenUsage);

        Assert.True(new OpenAiStreamDecoder().OnEvent(default, default, sink, ref usage));
        Assert.Empty(sink.Chunks);
        Assert.Equal(0, sink.DoneCount);
    }
}

public class OpenAiStreamAllocationTests
{
    private sealed class EncodingSink(FrontStreamEncoder encoder) : IPivotStreamSink
    {
        public readonly System.Buffers.ArrayBufferWriter<byte> Output = new(64 * 1024);

        public void Chunk(ReadOnlySpan<byte> pivotChunk, ReadOnlySpan<byte> outputText) => encoder.Chunk(pivotChunk, Output);

        public void Done()
        {
        }

        public void Error(in AiError error)
        {
        }
    }

    [Theory]
    [InlineData("chat-usage.sse", false)]
    [InlineData("chat-usage.sse", true)]
    [InlineData("chat-tools.sse", false)]
    [InlineData("chat-usage-in-last-choice.sse", false)]
    [InlineData("responses.sse", false)]
    public void Decoding_and_encoding_a_warm_stream_allocates_nothing(string file, bool clientWantsUsage)
    {
        // The events framed once, outside the measured part.
        var stream = OpenAiTestData.Load(file);
        var reader = new FastGate.Core.Sse.SseEventReader();
        reader.Append(stream);
        var events = new List<(byte[] Type, byte[] Data)>();
        while (reader.TryRead(out var e))
        {
            events.Add((e.EventType.ToArray(), e.Data.ToArray()));
        }
        var decoder = new OpenAiStreamDecoder();
        var encoder = new OpenAiChatFront().NewStreamEncoder();
        var sink = new EncodingSink(encoder);
        var facts = new RequestFacts { Stream = true, ClientWantsUsage = clientWantsUsage };

        long Run()
        {
            decoder.Reset(facts);
            encoder.Reset(facts);
            sink.Output.ResetWrittenCount();
            var usage = default(TokenUsage);
            var before = GC.GetAllocatedBytesForCurrentThread();
            foreach (var (type, data) in events)
            {
                decoder.OnEvent(type, data, sink, ref usage);
            }
            encoder.Done(usage, sink.Output);
            return GC.GetAllocatedBytesForCurrentThread() - before;
        }

        Run();
        Assert.Equal(0, Run());
    }
}
