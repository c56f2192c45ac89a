using System.Buffers;
using System.Text;
using System.Text.Json;
using FastGate.Ai.Providers;
using FastGate.Ai.Providers.OpenAi;
using FastGate.Core.Sse;
using static FastGate.Ai.Tests.OpenAi.OpenAiTestData;

namespace FastGate.Ai.Tests.OpenAi;

public class OpenAiFrontTests
{
    private static (bool Ok, string Pivot, RequestFacts Facts, AiError Error) Read(FrontCodec front, string body)
    {
        var pivot = new ArrayBufferWriter<byte>();
        var ok = front.TryReadRequest(Encoding.UTF8.GetBytes(body), pivot, out var facts, out var error);
        return (ok, Encoding.UTF8.GetString(pivot.WrittenSpan), facts, error);
    }

    private static string ModelOf(string pivot, RequestFacts facts) =>
        Encoding.UTF8.GetString(Encoding.UTF8.GetBytes(pivot).AsSpan(facts.ModelStart, facts.ModelLength));

    [Fact]
    public void Chat_request_is_the_pivot_as_it_came_with_its_facts()
    {
        const string body = """{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}],"stream":true,"stream_options":{"include_usage":true},"max_completion_tokens":64}""";
        var (ok, pivot, facts, _) = Read(new OpenAiChatFront(), body);

        Assert.True(ok);
        Assert.Equal(body, pivot);
        Assert.Equal("gpt-4o-mini", ModelOf(pivot, facts));
        Assert.True(facts.Stream);
        Assert.True(facts.ClientWantsUsage);
        Assert.Equal(64, facts.MaxTokens);
    }

    [Fact]
    public void Chat_request_without_stream_options_does_not_want_usage()
    {
        var (ok, _, facts, _) = Read(new OpenAiChatFront(), """{"messages":[],"stream":true,"max_tokens":10,"model":"m"}""");

        Assert.True(ok);
        Assert.True(facts.Stream);
        Assert.False(facts.ClientWantsUsage);
        Assert.Equal(10, facts.MaxTokens);
    }

    [Fact]
    public void Model_with_escapes_is_unescaped_in_the_pivot()
    {
        var (ok, pivot, facts, _) = Read(new OpenAiChatFront(), """{"model":"gpt\u002d4o","messages":[]}""");

        Assert.True(ok);
        Assert.Equal("""{"model":"gpt-4o","messages":[]}""", pivot);
        Assert.Equal("gpt-4o", ModelOf(pivot, facts));
    }

    [Theory]
    [InlineData("", "the body is empty; it must be a JSON object")]
    [InlineData("{\"model\":", "the body is not valid JSON")]
    [InlineData("{\"model\":\"m\",\"messages\":[]} x", "the body is not valid JSON")]
    [InlineData("not json", "the body is not valid JSON")]
    [InlineData("[]", "the body must be a JSON object")]
    [InlineData("{\"messages\":[]}", "model is required")]
    [InlineData("{\"model\":\"\",\"messages\":[]}", "model is required")]
    [InlineData("{\"model\":null,\"messages\":[]}", "model is required")]
    [InlineData("{\"model\":4,\"messages\":[]}", "model must be a string")]
    [InlineData("{\"model\":\"m\"}", "messages is required")]
    [InlineData("{\"model\":\"m\",\"messages\":\"hi\"}", "messages must be an array")]
    [InlineData("{\"model\":\"m\",\"messages\":[],\"stream\":\"yes\"}", "stream must be a boolean")]
    [InlineData("{\"model\":\"m\",\"messages\":[],\"max_tokens\":1.5}", "max_tokens")]
    [InlineData("{\"model\":\"a\\\"b\",\"messages\":[]}", "model holds characters a model name cannot have")]
    public void Bad_chat_requests_are_400_with_a_clear_message(string body, string message)
    {
        var (ok, _, _, error) = Read(new OpenAiChatFront(), body);

        Assert.False(ok);
        Assert.Equal(400, error.Status);
        Assert.Equal("invalid_request_error", error.Type);
        Assert.StartsWith(message, error.Message);
    }

    [Theory]
    [InlineData("""{"model":"text-embedding-3-small","input":"hello"}""", true, "")]
    [InlineData("""{"model":"text-embedding-3-small","input":["a","b"],"dimensions":256}""", true, "")]
    [InlineData("""{"model":"text-embedding-3-small"}""", false, "input is required")]
    [InlineData("""{"model":"text-embedding-3-small","input":3}""", false, "input must be a string or an array")]
    [InlineData("""{"input":"x"}""", false, "model is required")]
    public void Embeddings_requests_need_a_model_and_an_input(string body, bool valid, string message)
    {
        var (ok, pivot, facts, error) = Read(new OpenAiEmbeddingsFront(), body);

        Assert.Equal(valid, ok);
        if (valid)
        {
            Assert.Equal(body, pivot);
            Assert.Equal("text-embedding-3-small", ModelOf(pivot, facts));
            Assert.False(facts.Stream);
        }
        else
        {
            Assert.Equal(message, error.Message);
        }
    }

    [Theory]
    [InlineData("""{"model":"e","input":"x","encoding_format":"base64"}""", true, true)]
    [InlineData("""{"model":"e","input":"x","encoding_format":"float"}""", true, false)]
    [InlineData("""{"model":"e","input":"x","encoding_format":null}""", true, false)]
    [InlineData("""{"model":"e","input":"x"}""", true, false)]
    [InlineData("""{"model":"e","input":"x","encoding_format":"hex"}""", false, false)]
    [InlineData("""{"model":"e","input":"x","encoding_format":1}""", false, false)]
    public void Embeddings_encoding_format_is_float_or_base64(string body, bool valid, bool base64)
    {
        var (ok, _, facts, error) = Read(new OpenAiEmbeddingsFront(), body);

        Assert.Equal(valid, ok);
        Assert.Equal(base64, facts.EmbeddingsAsBase64);
        if (!valid)
        {
            Assert.Equal("encoding_format must be \"float\" or \"base64\"", error.Message);
        }
    }

    [Fact]
    public void Embeddings_asked_in_base64_get_number_vectors_as_little_endian_float32()
    {
        var list = """{"object":"list","data":[{"object":"embedding","index":0,"embedding":[0.5,-1.25,3]},{"object":"embedding","index":1,"embedding":"AAAAPw=="}],"model":"e","usage":{"prompt_tokens":2,"total_tokens":2}}""";
        var output = new ArrayBufferWriter<byte>();
        new OpenAiEmbeddingsFront().WriteResponse(Encoding.UTF8.GetBytes(list), default, new RequestFacts { EmbeddingsAsBase64 = true }, output);

        using var document = JsonDocument.Parse(output.WrittenMemory);
        var data = document.RootElement.GetProperty("data");
        var first = Convert.FromBase64String(data[0].GetProperty("embedding").GetString()!);
        Assert.Equal(new[] { 0.5f, -1.25f, 3f }, Enumerable.Range(0, first.Length / 4).Select(i => BitConverter.ToSingle(first, i * 4)));
        // A vector the provider already sent in base64 is left as it is; so is everything around the vectors.
        Assert.Equal("AAAAPw==", data[1].GetProperty("embedding").GetString());
        Assert.Equal(1, data[1].GetProperty("index").GetInt32());
        Assert.Equal(2, document.RootElement.GetProperty("usage").GetProperty("prompt_tokens").GetInt32());
        Assert.Equal("e", document.RootElement.GetProperty("model").GetString());
    }

    [Theory]
    [InlineData("""{"object":"list","data":[{"embedding":[1,"x"]}]}""")]
    [InlineData("""{"object":"list","data":[{"embedding":[1e99]}]}""")]
    [InlineData("""{"object":"list","data":[{"embedding":[1,2""")]
    [InlineData("""not json""")]
    public void Embeddings_in_base64_leave_a_list_they_cannot_convert_unchanged(string list)
    {
        var output = new ArrayBufferWriter<byte>();
        new OpenAiEmbeddingsFront().WriteResponse(Encoding.UTF8.GetBytes(list), default, new RequestFacts { EmbeddingsAsBase64 = true }, output);

        Assert.Equal(list, Encoding.UTF8.GetString(output.WrittenSpan));
    }

    [Fact]
    public void Embeddings_asked_as_floats_are_copied()
    {
        var list = """{"object":"list","data":[{"object":"embedding","index":0,"embedding":[0.5,-1.25]}]}""";
        var output = new ArrayBufferWriter<byte>();
        new OpenAiEmbeddingsFront().WriteResponse(Encoding.UTF8.GetBytes(list), default, default(RequestFacts), output);

        Assert.Equal(list, Encoding.UTF8.GetString(output.WrittenSpan));
    }

    [Fact]
    public void Responses_request_needs_only_a_model_and_tells_stream_and_max_output_tokens()
    {
        var (ok, pivot, facts, _) = Read(new OpenAiResponsesFront(), """{"model":"gpt-4.1","input":[{"role":"user","content":"hi"}],"stream":true,"max_output_tokens":300}""");
        Assert.True(ok);
        Assert.Equal("gpt-4.1", ModelOf(pivot, facts));
        Assert.True(facts.Stream);
        Assert.Equal(300, facts.MaxTokens);

        Assert.Equal("model is required", Read(new OpenAiResponsesFront(), """{"input":"hi"}""").Error.Message);
    }

    [Fact]
    public void Error_body_is_the_openai_error_object()
    {
        var output = new ArrayBufferWriter<byte>();
        new OpenAiChatFront().WriteError(new AiError(429, "rate_limit_error", "slow \"down\""), output);

        Assert.Equal("""{"error":{"message":"slow \"down\"","type":"rate_limit_error","param":null,"code":null}}""", Encoding.UTF8.GetString(output.WrittenSpan));
    }

    [Fact]
    public void Response_is_the_pivot_copied()
    {
        var body = Load("chat-completion.json");
        var output = new ArrayBufferWriter<byte>();
        new OpenAiChatFront().WriteResponse(body, default, output);
        Assert.Equal(body, output.WrittenSpan.ToArray());
    }

    /// <summary>The decoder and the chat encoder in a row, as the stage runs them; the events the client gets, read back.</summary>
    private static List<string> ClientEvents(string file, bool clientWantsUsage)
    {
        var encoder = new OpenAiChatFront().NewStreamEncoder();
        encoder.Reset(new RequestFacts { Stream = true, ClientWantsUsage = clientWantsUsage });
        var sink = new RecordingSink { Encoder = encoder };
        var stream = Load(file);
        var result = Decode(new OpenAiStreamDecoder(), stream, Whole(stream), sink);
        if (result.Sink.DoneCount > 0)
        {
            encoder.Done(result.Usage, sink.Encoded);
        }
        var reader = new SseEventReader();
        reader.Append(sink.Encoded.WrittenSpan);
        var events = new List<string>();
        while (reader.TryRead(out SseEvent e))
        {
            events.Add(Encoding.UTF8.GetString(e.Data));
        }
        Assert.True(reader.Pending.IsEmpty);
        return events;
    }

    [Fact]
    public void Usage_chunk_the_client_did_not_ask_for_is_dropped()
    {
        var events = ClientEvents("chat-usage.sse", clientWantsUsage: false);

        Assert.Equal(5, events.Count);
        Assert.DoesNotContain(events, e => e.Contains("\"prompt_tokens\""));
        Assert.Equal("[DONE]", events[^1]);
    }

    [Fact]
    public void Usage_chunk_the_client_asked_for_is_kept_byte_for_byte()
    {
        var events = ClientEvents("chat-usage.sse", clientWantsUsage: true);
        var stream = Load("chat-usage.sse");
        var original = new List<string>();
        var reader = new SseEventReader();
        reader.Append(stream);
        while (reader.TryRead(out SseEvent e))
        {
            original.Add(Encoding.UTF8.GetString(e.Data));
        }

        Assert.Equal(original, events);
    }

    [Fact]
    public void Azure_prompt_filter_chunk_is_kept_and_its_usage_chunk_dropped()
    {
        var events = ClientEvents("azure-chat.sse", clientWantsUsage: false);

        Assert.Equal(5, events.Count);
        Assert.Contains("prompt_filter_results", events[0]);
        Assert.DoesNotContain(events, e => e.Contains("\"prompt_tokens\""));
    }

    [Fact]
    public void Usage_beside_choices_is_never_dropped()
    {
        var events = ClientEvents("chat-usage-in-last-choice.sse", clientWantsUsage: false);

        Assert.Equal(5, events.Count);
        Assert.Contains("\"finish_reason\":\"stop\"", events[3]);
    }

    [Fact]
    public void Failed_stream_ends_with_an_error_event_and_no_done()
    {
        var events = ClientEvents("chat-error.sse", clientWantsUsage: false);

        Assert.Equal(3, events.Count);
        using var error = JsonDocument.Parse(events[^1]);
        Assert.Equal("The server had an error while processing your request. Sorry about that!", error.RootElement.GetProperty("error").GetProperty("message").GetString());
        Assert.DoesNotContain("[DONE]", events);
    }

    [Fact]
    public void Chunk_spread_over_data_lines_goes_out_as_data_lines()
    {
        var encoder = new OpenAiChatFront().NewStreamEncoder();
        encoder.Reset(new RequestFacts { ClientWantsUsage = true });
        var output = new ArrayBufferWriter<byte>();
        encoder.Chunk("{\"choices\":\n[]}"u8, output);

        Assert.Equal("data: {\"choices\":\ndata: []}\n\n", Encoding.UTF8.GetString(output.WrittenSpan));
    }

    [Fact]
    public void Responses_stream_error_is_the_responses_error_event()
    {
        var encoder = new OpenAiResponsesFront().NewStreamEncoder();
        encoder.Reset(default);
        var output = new ArrayBufferWriter<byte>();
        encoder.Done(default, output);
        Assert.Equal(0, output.WrittenCount);

        encoder.Error(new AiError(502, "api_error", "the provider's stream stopped mid-event"), output);
        Assert.Equal("event: error\ndata: {\"type\":\"error\",\"code\":\"api_error\",\"message\":\"the provider's stream stopped mid-event\",\"param\":null}\n\n", Encoding.UTF8.GetString(output.WrittenSpan));
    }
}
