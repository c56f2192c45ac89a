using System.Buffers;
using System.Text;
using System.Text.Json.Nodes;
using FastGate.Ai.Providers;
using FastGate.Ai.Providers.Anthropic;

namespace FastGate.Ai.Tests.Anthropic;

public class AnthropicResponseTests
{
    private static (JsonNode Pivot, TokenUsage Usage) ReadUpstream(ClientApi api, byte[] body)
    {
        var pivot = new ArrayBufferWriter<byte>();
        var usage = default(TokenUsage);
        Assert.True(new AnthropicAdapter().TryReadResponse(api, body, pivot, ref usage, out var error), error.Message);
        return (JsonNode.Parse(pivot.WrittenSpan)!, usage);
    }

    [Fact]
    public void TryReadResponse_ToolUseMessage_PivotWithJoinedTextToolCallsAndCacheUsage()
    {
        var (pivot, usage) = ReadUpstream(ClientApi.OpenAiChat, AnthropicTestData.Body("message-tool-use.json"));

        Assert.Equal(new TokenUsage { Input = 1140, CachedInput = 1000, CacheWriteInput = 100, Output = 55, Reported = true }, usage);
        Assert.Equal("chat.completion", (string?)pivot["object"]);
        Assert.Equal("msg_01Body", (string?)pivot["id"]);
        Assert.Equal("claude-sonnet-4-5", (string?)pivot["model"]);
        var choice = pivot["choices"]![0]!;
        Assert.Equal("tool_calls", (string?)choice["finish_reason"]);
        Assert.Equal("assistant", (string?)choice["message"]!["role"]);
        Assert.Equal("I will look that up for \"Paris\".", (string?)choice["message"]!["content"]);
        var call = choice["message"]!["tool_calls"]![0]!;
        Assert.Equal(("toolu_01Body", "function", "get_weather"), ((string)call["id"]!, (string)call["type"]!, (string)call["function"]!["name"]!));
        var arguments = JsonNode.Parse((string)call["function"]!["arguments"]!)!;
        Assert.Equal("Paris", (string?)arguments["city"]);
        Assert.Equal("c", (string?)arguments["units"]![0]);
        Assert.DoesNotContain("The user wants", pivot.ToJsonString());
        Assert.Equal(1140, (int)pivot["usage"]!["prompt_tokens"]!);
        Assert.Equal(55, (int)pivot["usage"]!["completion_tokens"]!);
        Assert.Equal(1195, (int)pivot["usage"]!["total_tokens"]!);
        Assert.Equal(1000, (int)pivot["usage"]!["prompt_tokens_details"]!["cached_tokens"]!);
    }

    [Fact]
    public void TryReadResponse_MaxTokensStop_LengthAndPlainUsage()
    {
        var (pivot, usage) = ReadUpstream(ClientApi.AnthropicMessages, AnthropicTestData.Body("message-text.json"));

        Assert.Equal("length", (string?)pivot["choices"]![0]!["finish_reason"]);
        Assert.Equal("Hi there", (string?)pivot["choices"]![0]!["message"]!["content"]);
        Assert.Null(pivot["choices"]![0]!["message"]!["tool_calls"]);
        Assert.Equal(new TokenUsage { Input = 9, Output = 3, Reported = true }, usage);
    }

    [Fact]
    public void TryReadResponse_CountTokens_UsageInput()
    {
        var (_, usage) = ReadUpstream(ClientApi.AnthropicCountTokens, AnthropicTestData.Body("count-tokens.json"));

        Assert.Equal(new TokenUsage { Input = 2095, Reported = true }, usage);
    }

    [Theory]
    [InlineData("<html>oops</html>")]
    [InlineData("{\"type\":\"message\",\"content\":\"text\"}")]
    [InlineData("{\"type\":\"error\",\"error\":{\"type\":\"api_error\",\"message\":\"x\"}}")]
    [InlineData("{\"id\":\"msg\",\"content\":[{\"type\":\"text\",\"text\":\"cut")]
    public void TryReadResponse_Garbage_502ApiError(string body)
    {
        var usage = default(TokenUsage);
        var ok = new AnthropicAdapter().TryReadResponse(ClientApi.OpenAiChat, Encoding.UTF8.GetBytes(body), new ArrayBufferWriter<byte>(), ref usage, out var error);

        Assert.False(ok);
        Assert.Equal((502, "api_error"), (error.Status, error.Type));
    }

    [Fact]
    public void WriteResponse_PivotCompletion_AnthropicMessageWithBlocksStopReasonAndSplitUsage()
    {
        var pivot = """
            {"id":"chatcmpl-9","object":"chat.completion","created":1,"model":"gpt-4o-mini","choices":[{"index":0,"message":{"role":"assistant","content":"Checking \"now\".","tool_calls":[{"id":"call_1","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}},{"id":"call_2","type":"function","function":{"name":"broken","arguments":"{\"cut"}}]},"finish_reason":"tool_calls"}],"usage":{"prompt_tokens":1140,"completion_tokens":55,"total_tokens":1195}}
            """;
        var output = new ArrayBufferWriter<byte>();

        new AnthropicMessagesFront().WriteResponse(Encoding.UTF8.GetBytes(pivot), new TokenUsage { Input = 1140, CachedInput = 1000, CacheWriteInput = 100, Output = 55 }, output);

        var message = AnthropicTestData.Json(output);
        Assert.Equal(("chatcmpl-9", "message", "assistant", "gpt-4o-mini"), ((string)message["id"]!, (string)message["type"]!, (string)message["role"]!, (string)message["model"]!));
        var content = message["content"]!.AsArray();
        Assert.Equal(["text", "tool_use", "tool_use"], content.Select(b => (string)b!["type"]!));
        Assert.Equal("Checking \"now\".", (string?)content[0]!["text"]);
        Assert.Equal(("call_1", "get_weather", "Paris"), ((string)content[1]!["id"]!, (string)content[1]!["name"]!, (string)content[1]!["input"]!["city"]!));
        // Arguments that are not a whole object (a model cut short) still give an object.
        Assert.Equal("{}", content[2]!["input"]!.ToJsonString());
        Assert.Equal("direct", (string?)content[1]!["caller"]!["type"]);
        Assert.Equal("tool_use", (string?)message["stop_reason"]);
        Assert.True(message.AsObject().ContainsKey("stop_sequence"));
        Assert.Null(message["stop_sequence"]);
        var usage = message["usage"]!;
        Assert.Equal(40, (int)usage["input_tokens"]!);
        Assert.Equal(1000, (int)usage["cache_read_input_tokens"]!);
        Assert.Equal(100, (int)usage["cache_creation_input_tokens"]!);
        Assert.Equal(55, (int)usage["output_tokens"]!);
    }

    [Fact]
    public void RoundTrip_AnthropicMessageThroughPivot_SameBlocksAndUsage()
    {
        var (pivot, usage) = ReadUpstream(ClientApi.AnthropicMessages, AnthropicTestData.Body("message-tool-use.json"));
        var output = new ArrayBufferWriter<byte>();

        new AnthropicMessagesFront().WriteResponse(Encoding.UTF8.GetBytes(pivot.ToJsonString()), usage, output);

        var original = JsonNode.Parse(AnthropicTestData.Body("message-tool-use.json"))!;
        var again = AnthropicTestData.Json(output);
        Assert.Equal(original["usage"]!.ToJsonString(), again["usage"]!.ToJsonString());
        Assert.Equal(original["stop_reason"]!.ToJsonString(), again["stop_reason"]!.ToJsonString());
        var toolUse = again["content"]![1]!.AsObject();
        toolUse.Remove("caller");
        Assert.Equal(original["content"]![3]!.ToJsonString(), toolUse.ToJsonString());
        Assert.Equal("I will look that up for \"Paris\".", (string?)again["content"]![0]!["text"]);
    }

    [Fact]
    public void WriteResponse_CountTokens_InputTokensOnly()
    {
        var output = new ArrayBufferWriter<byte>();

        new AnthropicCountTokensFront().WriteResponse("{\"input_tokens\":2095}"u8, new TokenUsage { Input = 2095 }, output);

        Assert.Equal("{\"input_tokens\":2095}", Encoding.UTF8.GetString(output.WrittenSpan));
    }
}
