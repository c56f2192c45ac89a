using System.Buffers;
using System.Text;
using System.Text.Json.Nodes;
using FastGate.Ai.Providers;
using FastGate.Ai.Providers.Anthropic;

namespace FastGate.Ai.Tests.Anthropic;

public class AnthropicRequestTests
{
    private static (JsonNode Pivot, RequestFacts Facts, byte[] Bytes) ReadFront(FrontCodec front, byte[] body)
    {
        var pivot = new ArrayBufferWriter<byte>();
        Assert.True(front.TryReadRequest(body, pivot, out var facts, out var error), error.Message);
        return (JsonNode.Parse(pivot.WrittenSpan)!, facts, pivot.WrittenSpan.ToArray());
    }

    private static JsonNode WriteUpstream(ClientApi api, byte[] pivot, string model = "claude-target")
    {
        var body = new ArrayBufferWriter<byte>();
        Assert.True(new AnthropicAdapter().TryWriteRequest(api, pivot, default, Encoding.UTF8.GetBytes(model), body, out var error), error.Message);
        return JsonNode.Parse(body.WrittenSpan)!;
    }

    [Fact]
    public void TryReadRequest_MessagesRequest_PivotHasSystemPartsToolsAndFacts()
    {
        var (pivot, facts, bytes) = ReadFront(new AnthropicMessagesFront(), AnthropicTestData.Body("request-messages.json"));

        Assert.Equal("claude-sonnet-4-5", Encoding.UTF8.GetString(bytes, facts.ModelStart, facts.ModelLength));
        Assert.True(facts.Stream);
        Assert.True(facts.ClientWantsUsage);
        Assert.Equal(1024, facts.MaxTokens);
        Assert.Equal(1024, (int)pivot["max_tokens"]!);
        Assert.True((bool)pivot["stream"]!);
        Assert.Equal("[\"END\"]", pivot["stop"]!.ToJsonString());
        Assert.Equal(0.5, (double)pivot["temperature"]!);
        Assert.Null(pivot["metadata"]);

        var messages = pivot["messages"]!.AsArray();
        Assert.Equal(["system", "user", "assistant", "tool", "user"], messages.Select(m => (string)m!["role"]!));
        Assert.Equal(["You are terse.", "Answer in French."], messages[0]!["content"]!.AsArray().Select(p => (string)p!["text"]!));
        var user = messages[1]!["content"]!.AsArray();
        Assert.Equal(["text", "image_url", "image_url"], user.Select(p => (string)p!["type"]!));
        Assert.Equal("data:image/png;base64,iVBORw0KGgo=", (string?)user[1]!["image_url"]!["url"]);
        Assert.Equal("https://example.com/cat.jpg", (string?)user[2]!["image_url"]!["url"]);
        var assistant = messages[2]!;
        Assert.Equal("A cat. Checking the weather.", (string?)assistant["content"]);
        var call = assistant["tool_calls"]![0]!;
        Assert.Equal(("toolu_01A", "function", "get_weather"), ((string)call["id"]!, (string)call["type"]!, (string)call["function"]!["name"]!));
        Assert.Equal("Paris", (string?)JsonNode.Parse((string)call["function"]!["arguments"]!)!["city"]);
        Assert.Equal(("toolu_01A", "18 C, sunny"), ((string)messages[3]!["tool_call_id"]!, (string)messages[3]!["content"]!));
        Assert.Equal("Thanks. And tomorrow?", (string?)messages[4]!["content"]![0]!["text"]);

        var tool = pivot["tools"]![0]!;
        Assert.Equal("function", (string?)tool["type"]);
        Assert.Equal("get_weather", (string?)tool["function"]!["name"]);
        Assert.Equal("Weather for a city", (string?)tool["function"]!["description"]);
        Assert.Equal("string", (string?)tool["function"]!["parameters"]!["properties"]!["city"]!["type"]);
        Assert.Equal("auto", (string?)pivot["tool_choice"]);
    }

    [Fact]
    public void TryWriteRequest_ChatRequest_AnthropicSystemImagesToolUseAndMergedResults()
    {
        var anthropic = WriteUpstream(ClientApi.OpenAiChat, AnthropicTestData.Body("request-chat.json"));

        Assert.Equal("claude-target", (string?)anthropic["model"]);
        Assert.Equal(300, (int)anthropic["max_tokens"]!);
        Assert.Equal(1.0, (double)anthropic["temperature"]!);
        Assert.Equal(0.9, (double)anthropic["top_p"]!);
        Assert.Equal("[\"END\"]", anthropic["stop_sequences"]!.ToJsonString());
        Assert.True((bool)anthropic["stream"]!);
        Assert.Null(anthropic["stream_options"]);
        Assert.Null(anthropic["user"]);
        Assert.Equal(["You are terse.", "Answer in French."], anthropic["system"]!.AsArray().Select(b => (string)b!["text"]!));

        var messages = anthropic["messages"]!.AsArray();
        Assert.Equal(["user", "assistant", "user", "assistant", "user"], messages.Select(m => (string)m!["role"]!));
        var images = messages[0]!["content"]!.AsArray().Where(b => (string?)b!["type"] == "image").Select(b => b!["source"]!).ToList();
        Assert.Equal(("base64", "image/jpeg", "/9j/4AAQ"), ((string)images[0]["type"]!, (string)images[0]["media_type"]!, (string)images[0]["data"]!));
        Assert.Equal(("url", "https://example.com/dog.png"), ((string)images[1]["type"]!, (string)images[1]["url"]!));

        var toolUses = messages[1]!["content"]!.AsArray();
        Assert.Equal(["tool_use", "tool_use"], toolUses.Select(b => (string)b!["type"]!));
        Assert.Equal("Paris", (string?)toolUses[0]!["input"]!["city"]);
        Assert.Equal("{}", toolUses[1]!["input"]!.ToJsonString());
        Assert.Equal(("call_2", "get_time"), ((string)toolUses[1]!["id"]!, (string)toolUses[1]!["name"]!));

        // Two tool messages in a row are one user turn of tool_result blocks.
        var results = messages[2]!["content"]!.AsArray();
        Assert.Equal(["call_1", "call_2"], results.Select(b => (string)b!["tool_use_id"]!));
        Assert.Equal("18 C", (string?)results[0]!["content"]);
        Assert.Equal("09:00", (string?)results[1]!["content"]![0]!["text"]);
        Assert.Equal("Sunny, 9 am.", (string?)messages[3]!["content"]);

        var tools = anthropic["tools"]!.AsArray();
        Assert.Equal("string", (string?)tools[0]!["input_schema"]!["properties"]!["city"]!["type"]);
        Assert.Equal("object", (string?)tools[1]!["input_schema"]!["type"]);
        Assert.Equal(("tool", "get_weather", true), ((string)anthropic["tool_choice"]!["type"]!, (string)anthropic["tool_choice"]!["name"]!, (bool)anthropic["tool_choice"]!["disable_parallel_tool_use"]!));
    }

    [Fact]
    public void Documents_PdfBothWays_SameBase64AndMediaType()
    {
        var request = "{\"model\":\"m\",\"max_tokens\":9,\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"document\",\"source\":{\"type\":\"base64\",\"media_type\":\"application/pdf\",\"data\":\"JVBERi0x\"}},{\"type\":\"document\",\"source\":{\"type\":\"text\",\"media_type\":\"text/plain\",\"data\":\"plain words\"}},{\"type\":\"text\",\"text\":\"Summarize\"}]}]}";
        var (pivot, _, bytes) = ReadFront(new AnthropicMessagesFront(), Encoding.UTF8.GetBytes(request));

        var parts = pivot["messages"]![0]!["content"]!.AsArray();
        Assert.Equal("data:application/pdf;base64,JVBERi0x", (string?)parts[0]!["file"]!["file_data"]);
        Assert.Equal("plain words", (string?)parts[1]!["text"]);

        var again = WriteUpstream(ClientApi.AnthropicMessages, bytes);
        var document = again["messages"]![0]!["content"]![0]!;
        Assert.Equal("document", (string?)document["type"]);
        Assert.Equal(("base64", "application/pdf", "JVBERi0x"), ((string)document["source"]!["type"]!, (string)document["source"]!["media_type"]!, (string)document["source"]!["data"]!));
    }

    [Fact]
    public void TryWriteRequest_DataUrlWithEscapedSlashes_CleanBase64()
    {
        var pivot = "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"image_url\",\"image_url\":{\"url\":\"data:image\\/png;base64,ab\\/cd+e=\"}}]}]}";

        var anthropic = WriteUpstream(ClientApi.OpenAiChat, Encoding.UTF8.GetBytes(pivot));

        var source = anthropic["messages"]![0]!["content"]![0]!["source"]!;
        Assert.Equal(("base64", "image/png", "ab/cd+e="), ((string)source["type"]!, (string)source["media_type"]!, (string)source["data"]!));
    }

    [Theory]
    [InlineData("\"auto\"", "auto")]
    [InlineData("\"required\"", "any")]
    [InlineData("\"none\"", "none")]
    public void TryWriteRequest_ToolChoice_Mapped(string choice, string type)
    {
        var pivot = "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"f\",\"parameters\":{\"type\":\"object\"}}}],\"tool_choice\":" + choice + "}";

        var anthropic = WriteUpstream(ClientApi.OpenAiChat, Encoding.UTF8.GetBytes(pivot));

        Assert.Equal(type, (string?)anthropic["tool_choice"]!["type"]);
    }

    [Fact]
    public void TryWriteRequest_NoLimitAsked_DefaultMaxTokensAndOneSystemString()
    {
        var pivot = "{\"model\":\"m\",\"max_tokens\":null,\"messages\":[{\"role\":\"system\",\"content\":\"Be brief.\"},{\"role\":\"user\",\"content\":\"hi\"}],\"stop\":[\"a\",\"b\"]}";

        var anthropic = WriteUpstream(ClientApi.OpenAiChat, Encoding.UTF8.GetBytes(pivot));

        Assert.Equal(AnthropicRequestWriter.DefaultMaxTokens, (long)anthropic["max_tokens"]!);
        Assert.Equal("Be brief.", (string?)anthropic["system"]);
        Assert.Equal("[\"a\",\"b\"]", anthropic["stop_sequences"]!.ToJsonString());
        Assert.Null(anthropic["stream"]);
        Assert.Null(anthropic["tool_choice"]);
        Assert.Equal("hi", (string?)anthropic["messages"]![0]!["content"]);
    }

    [Fact]
    public void TryWriteRequest_CountTokens_NoMaxTokensNorSamplingNorStream()
    {
        var (pivot, facts, bytes) = ReadFront(new AnthropicCountTokensFront(), AnthropicTestData.Body("request-messages.json"));
        Assert.False(facts.Stream);

        var anthropic = WriteUpstream(ClientApi.AnthropicCountTokens, bytes);

        Assert.Null(anthropic["max_tokens"]);
        Assert.Null(anthropic["stream"]);
        Assert.Null(anthropic["temperature"]);
        Assert.Null(anthropic["stop_sequences"]);
        Assert.NotNull(anthropic["system"]);
        Assert.NotNull(anthropic["tools"]);
        Assert.Equal(3, anthropic["messages"]!.AsArray().Count);
    }

    [Fact]
    public void RoundTrip_AnthropicRequestThroughPivot_KeepsMeaning()
    {
        var original = JsonNode.Parse(AnthropicTestData.Body("request-messages.json"))!;
        var (_, _, pivot) = ReadFront(new AnthropicMessagesFront(), AnthropicTestData.Body("request-messages.json"));

        var again = WriteUpstream(ClientApi.AnthropicMessages, pivot, "claude-sonnet-4-5");

        // metadata has no pivot field; everything else says the same thing.
        original.AsObject().Remove("metadata");
        Assert.Equal(Normalize(original), Normalize(again));
    }

    [Fact]
    public void RoundTrip_ChatRequestThroughAnthropicAndBack_KeepsMessagesAndTools()
    {
        var upstream = new ArrayBufferWriter<byte>();
        Assert.True(new AnthropicAdapter().TryWriteRequest(ClientApi.OpenAiChat, AnthropicTestData.Body("request-chat.json"), default, "claude-x"u8, upstream, out _));
        var (back, _, _) = ReadFront(new AnthropicMessagesFront(), upstream.WrittenSpan.ToArray());

        var messages = back["messages"]!.AsArray();
        Assert.Equal(["system", "user", "assistant", "tool", "tool", "assistant", "user"], messages.Select(m => (string)m!["role"]!));
        Assert.Equal("{\"city\":\"Paris\"}", (string?)messages[2]!["tool_calls"]![0]!["function"]!["arguments"]);
        Assert.Equal("data:image/jpeg;base64,/9j/4AAQ", (string?)messages[1]!["content"]![1]!["image_url"]!["url"]);
        Assert.Equal("get_weather", (string?)back["tool_choice"]!["function"]!["name"]);
        Assert.False((bool)back["parallel_tool_calls"]!);
    }

    /// <summary>An Anthropic request with content strings as text blocks, the system as text blocks, and members in one order.</summary>
    private static string Normalize(JsonNode request)
    {
        var copy = JsonNode.Parse(request.ToJsonString())!.AsObject();
        static JsonNode Blocks(JsonNode content) => content is JsonValue
            ? new JsonArray(new JsonObject { ["type"] = "text", ["text"] = (string)content! })
            : JsonNode.Parse(content.ToJsonString())!;
        if (copy["system"] is { } system)
        {
            copy["system"] = Blocks(system);
        }
        foreach (var message in copy["messages"]!.AsArray())
        {
            message!["content"] = Blocks(message["content"]!);
        }
        return Sorted(copy).ToJsonString();
    }

    private static JsonNode Sorted(JsonNode node) => node switch
    {
        JsonObject o => new JsonObject(o.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => KeyValuePair.Create(p.Key, (JsonNode?)Sorted(p.Value!)))),
        JsonArray a => new JsonArray(a.Select(i => (JsonNode?)Sorted(i!)).ToArray()),
        _ => JsonNode.Parse(node.ToJsonString())!,
    };

    [Theory]
    [InlineData("not json")]
    [InlineData("[1,2]")]
    [InlineData("{\"max_tokens\":10,\"messages\":[]}")]
    [InlineData("{\"model\":5,\"max_tokens\":10,\"messages\":[]}")]
    [InlineData("{\"model\":\"m\",\"messages\":[]}")]
    [InlineData("{\"model\":\"m\",\"max_tokens\":\"10\",\"messages\":[]}")]
    [InlineData("{\"model\":\"m\",\"max_tokens\":0,\"messages\":[]}")]
    [InlineData("{\"model\":\"m\",\"max_tokens\":10}")]
    [InlineData("{\"model\":\"m\",\"max_tokens\":10,\"messages\":{}}")]
    [InlineData("{\"model\":\"m\",\"max_tokens\":10,\"messages\":[{\"role\":\"system\",\"content\":\"x\"}]}")]
    [InlineData("{\"model\":\"m\",\"max_tokens\":10,\"messages\":[{\"role\":\"user\"}]}")]
    [InlineData("{\"model\":\"m\",\"max_tokens\":10,\"messages\":[\"hi\"]}")]
    [InlineData("{\"model\":\"m\",\"max_tokens\":10,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}")]
    [InlineData("{\"model\":\"m\",\"max_tokens\":10,\"system\":5,\"messages\":[]}")]
    public void TryReadRequest_Invalid_400InvalidRequestError(string body)
    {
        var ok = new AnthropicMessagesFront().TryReadRequest(Encoding.UTF8.GetBytes(body), new ArrayBufferWriter<byte>(), out _, out var error);

        Assert.False(ok);
        Assert.Equal((400, "invalid_request_error"), (error.Status, error.Type));
        Assert.False(string.IsNullOrEmpty(error.Message));
    }

    [Fact]
    public void TryReadRequest_CountTokensWithoutMaxTokens_Accepted()
    {
        var (pivot, facts, _) = ReadFront(new AnthropicCountTokensFront(), "{\"model\":\"claude\",\"messages\":[{\"role\":\"user\",\"content\":\"hi there\"}]}"u8.ToArray());

        Assert.Equal(0, facts.MaxTokens);
        Assert.Null(pivot["max_tokens"]);
        Assert.Equal("hi there", (string?)pivot["messages"]![0]!["content"]);
    }

    [Fact]
    public void TryReadRequest_EscapedModelName_FactsPointAtUnescapedName()
    {
        var (_, facts, bytes) = ReadFront(new AnthropicMessagesFront(), "{\"model\":\"claude\\u002dx\",\"max_tokens\":5,\"messages\":[]}"u8.ToArray());

        Assert.Equal("claude-x", Encoding.UTF8.GetString(bytes, facts.ModelStart, facts.ModelLength));
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("{\"model\":\"m\"}")]
    [InlineData("{\"model\":\"m\",\"messages\":[{\"role\":\"wizard\",\"content\":\"x\"}]}")]
    public void TryWriteRequest_InvalidPivot_400(string pivot)
    {
        var ok = new AnthropicAdapter().TryWriteRequest(ClientApi.OpenAiChat, Encoding.UTF8.GetBytes(pivot), default, "m"u8, new ArrayBufferWriter<byte>(), out var error);

        Assert.False(ok);
        Assert.Equal(400, error.Status);
    }
}
