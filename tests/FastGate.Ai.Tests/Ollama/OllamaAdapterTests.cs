using System.Text;
using System.Text.Json;
using FastGate.Ai.Providers;
using FastGate.Ai.Providers.Ollama;
using FastGate.Ai.Tests.Gemini;
using FastGate.Proxy.Config;
using FastGate.Proxy.Forwarding;

namespace FastGate.Ai.Tests.Ollama;

public class OllamaAdapterTests
{
    private readonly OllamaAdapter _adapter = new();

    [Theory]
    [InlineData(ClientApi.OpenAiChat, "http://127.0.0.1:11434", "/api/chat")]
    [InlineData(ClientApi.AnthropicMessages, "http://127.0.0.1:11434/", "/api/chat")]
    [InlineData(ClientApi.OpenAiEmbeddings, "http://h/ollama/", "/ollama/api/embed")]
    public void WriteTarget_ChatOrEmbed(ClientApi api, string baseUrl, string expected)
    {
        Assert.Equal(expected, AdapterCalls.Target(_adapter, api, baseUrl, "llama3.2", stream: true));
    }

    [Fact]
    public void SetHeaders_NoKey_NoAuthorization()
    {
        var headers = new HeaderEdits();
        _adapter.SetHeaders(Provider(), "", headers);

        Assert.Equal(0, headers.Count);
    }

    [Fact]
    public void SetHeaders_AKey_GoesAsBearer()
    {
        var headers = new HeaderEdits();
        _adapter.SetHeaders(Provider(), "sk-local", headers);

        Assert.True(headers.TryGetValue("Authorization"u8, out var value));
        Assert.Equal("Bearer sk-local", Encoding.UTF8.GetString(value));
    }

    [Fact]
    public void Supports_ChatMessagesAndEmbeddings()
    {
        Assert.True(_adapter.Supports(ClientApi.OpenAiChat));
        Assert.True(_adapter.Supports(ClientApi.AnthropicMessages));
        Assert.True(_adapter.Supports(ClientApi.OpenAiEmbeddings));
        Assert.False(_adapter.Supports(ClientApi.OpenAiResponses));
        Assert.Equal(StreamFraming.NdJson, _adapter.StreamFraming);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Request_WritesTheModelAndStreamAlways(bool stream)
    {
        var body = AdapterCalls.Request(_adapter, ClientApi.OpenAiChat, """{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}]}""", model: "llama3.2", stream: stream);

        Assert.Equal("llama3.2", body.GetProperty("model").GetString());
        Assert.Equal(stream, body.GetProperty("stream").GetBoolean());
        Assert.False(body.TryGetProperty("options", out _));
    }

    [Fact]
    public void Request_MessagesImagesToolCallsAndResults()
    {
        var body = AdapterCalls.Request(_adapter, ClientApi.OpenAiChat, """
            {"messages":[
              {"role":"system","content":"Be brief."},
              {"role":"user","content":[{"type":"text","text":"What is"},{"type":"text","text":"this?"},
                {"type":"image_url","image_url":{"url":"data:image/jpeg;base64,/9j/4AAQ"}}]},
              {"role":"assistant","content":null,"tool_calls":[{"id":"call_1","type":"function","function":{"name":"lookup","arguments":"{\"q\":\"cat\"}"}}]},
              {"role":"tool","tool_call_id":"call_1","content":"A cat."},
              {"role":"assistant","content":"A cat."}]}
            """);

        Assert.True(AdapterCalls.SameJson("""
            [{"role":"system","content":"Be brief."},
             {"role":"user","content":"What is\nthis?","images":["/9j/4AAQ"]},
             {"role":"assistant","content":"","tool_calls":[{"function":{"name":"lookup","arguments":{"q":"cat"}}}]},
             {"role":"tool","content":"A cat.","tool_name":"lookup"},
             {"role":"assistant","content":"A cat."}]
            """, body.GetProperty("messages")), body.ToString());
    }

    [Fact]
    public void Request_ToolsCopiedAndOptionsFromTheSettings()
    {
        var body = AdapterCalls.Request(_adapter, ClientApi.OpenAiChat, """
            {"messages":[{"role":"user","content":"x"}],
             "tools":[{"type":"function","function":{"name":"f","parameters":{"type":"object","properties":{}}}}],
             "max_completion_tokens":64,"temperature":0.5,"top_p":0.8,"stop":"###","seed":1,
             "response_format":{"type":"json_object"}}
            """);

        Assert.True(AdapterCalls.SameJson("""[{"type":"function","function":{"name":"f","parameters":{"type":"object","properties":{}}}}]""", body.GetProperty("tools")));
        Assert.True(AdapterCalls.SameJson("""{"num_predict":64,"temperature":0.5,"top_p":0.8,"seed":1,"stop":["###"]}""", body.GetProperty("options")), body.ToString());
        Assert.Equal("json", body.GetProperty("format").GetString());
    }

    [Fact]
    public void Request_ToolChoiceNone_SendsNoTools()
    {
        var body = AdapterCalls.Request(_adapter, ClientApi.OpenAiChat, """{"messages":[{"role":"user","content":"x"}],"tools":[{"type":"function","function":{"name":"f"}}],"tool_choice":"none"}""");

        Assert.False(body.TryGetProperty("tools", out _));
    }

    [Fact]
    public void Request_JsonSchema_BecomesTheFormat()
    {
        var body = AdapterCalls.Request(_adapter, ClientApi.OpenAiChat, """{"messages":[{"role":"user","content":"x"}],"response_format":{"type":"json_schema","json_schema":{"name":"n","schema":{"type":"object","required":["a"]}}}}""");

        Assert.True(AdapterCalls.SameJson("""{"type":"object","required":["a"]}""", body.GetProperty("format")));
    }

    [Theory]
    [InlineData("""{"messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"https://x/y.png"}}]}]}""", "data: URLs")]
    [InlineData("""{"messages":[{"role":"user","content":[{"type":"input_audio","input_audio":{"data":"AA==","format":"wav"}}]}]}""", "content parts")]
    [InlineData("""{"messages":[{"role":"assistant","tool_calls":[{"id":"a","type":"function","function":{"name":"f","arguments":"[1]"}}]}]}""", "arguments")]
    [InlineData("""{"messages":{}}""", "messages")]
    public void Request_OllamaCannotTakeIt_400WithTheReason(string pivot, string reason)
    {
        Assert.False(AdapterCalls.TryRequest(_adapter, ClientApi.OpenAiChat, pivot, out _, out var error));

        Assert.Equal(400, error.Status);
        Assert.Contains(reason, error.Message);
    }

    [Theory]
    [InlineData("")]
    [InlineData("nope")]
    [InlineData("{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}")]
    [InlineData("{\"messages\":[null]}")]
    public void Request_MalformedPivot_FalseWith400AndNoException(string pivot)
    {
        Assert.False(AdapterCalls.TryRequest(_adapter, ClientApi.OpenAiChat, pivot, out _, out var error));
        Assert.Equal(400, error.Status);
    }

    [Fact]
    public void Request_Embeddings_ModelInputAndDimensions()
    {
        var body = AdapterCalls.Request(_adapter, ClientApi.OpenAiEmbeddings, """{"model":"text-embedding-3-small","input":["a","b"],"dimensions":64}""", model: "all-minilm");

        Assert.True(AdapterCalls.SameJson("""{"model":"all-minilm","input":["a","b"],"dimensions":64}""", body));
    }

    [Theory]
    [InlineData("""{"input":[[1,2]]}""")]
    [InlineData("""{"input":[]}""")]
    [InlineData("""{"input":null}""")]
    public void Request_EmbeddingsOfTokensOrNothing_400(string pivot)
    {
        Assert.False(AdapterCalls.TryRequest(_adapter, ClientApi.OpenAiEmbeddings, pivot, out _, out var error));
        Assert.Equal(400, error.Status);
    }

    [Fact]
    public void Response_Text_BecomesAChatCompletionWithUsage()
    {
        var (pivot, usage) = AdapterCalls.Response(_adapter, ClientApi.OpenAiChat, ProviderTestData.Read("ollama/chat-response.json"));

        Assert.Equal("chat.completion", pivot.GetProperty("object").GetString());
        Assert.Equal("llama3.2", pivot.GetProperty("model").GetString());
        var choice = pivot.GetProperty("choices")[0];
        Assert.Equal("Hello there.", choice.GetProperty("message").GetProperty("content").GetString());
        Assert.Equal("stop", choice.GetProperty("finish_reason").GetString());
        Assert.Equal(8, pivot.GetProperty("usage").GetProperty("prompt_tokens").GetInt64());
        Assert.Equal(3, pivot.GetProperty("usage").GetProperty("completion_tokens").GetInt64());
        Assert.Equal(new TokenUsageView(8, 3, 0, 0, true), TokenUsageView.Of(usage));
    }

    [Fact]
    public void Response_ToolCall_ArgumentsBecomeAStringAndFinishToolCalls()
    {
        var (pivot, usage) = AdapterCalls.Response(_adapter, ClientApi.OpenAiChat, ProviderTestData.Read("ollama/chat-tool-response.json"));

        var choice = pivot.GetProperty("choices")[0];
        var message = choice.GetProperty("message");
        Assert.Equal(JsonValueKind.Null, message.GetProperty("content").ValueKind);
        var call = Assert.Single(message.GetProperty("tool_calls").EnumerateArray());
        Assert.Equal("get_weather", call.GetProperty("function").GetProperty("name").GetString());
        Assert.True(AdapterCalls.SameJson("""{"city":"Paris","days":2}""", JsonDocument.Parse(call.GetProperty("function").GetProperty("arguments").GetString()!).RootElement));
        Assert.Equal("tool_calls", choice.GetProperty("finish_reason").GetString());
        Assert.Equal(new TokenUsageView(213, 17, 0, 0, true), TokenUsageView.Of(usage));
    }

    [Fact]
    public void Response_NoCounts_LeavesUsageUnreported()
    {
        var (pivot, usage) = AdapterCalls.Response(_adapter, ClientApi.OpenAiChat, """{"model":"m","message":{"role":"assistant","content":"x"},"done":true,"done_reason":"length"}"""u8.ToArray());

        Assert.False(usage.Reported);
        Assert.False(pivot.TryGetProperty("usage", out _));
        Assert.Equal("length", pivot.GetProperty("choices")[0].GetProperty("finish_reason").GetString());
    }

    [Fact]
    public void Response_Embeddings_BecomeAnOpenAiListWithPromptTokens()
    {
        var (pivot, usage) = AdapterCalls.Response(_adapter, ClientApi.OpenAiEmbeddings, ProviderTestData.Read("ollama/embed-response.json"));

        Assert.Equal("list", pivot.GetProperty("object").GetString());
        Assert.Equal("all-minilm", pivot.GetProperty("model").GetString());
        var data = pivot.GetProperty("data");
        Assert.Equal(2, data.GetArrayLength());
        Assert.Equal(1, data[1].GetProperty("index").GetInt32());
        Assert.Equal(-0.0098027075, data[1].GetProperty("embedding")[0].GetDouble());
        Assert.True(AdapterCalls.SameJson("""{"prompt_tokens":8,"total_tokens":8}""", pivot.GetProperty("usage")));
        Assert.Equal(new TokenUsageView(8, 0, 0, 0, true), TokenUsageView.Of(usage));
    }

    [Theory]
    [InlineData(ClientApi.OpenAiChat, "")]
    [InlineData(ClientApi.OpenAiChat, "garbage")]
    [InlineData(ClientApi.OpenAiChat, "{\"message\":[],\"done\":true}")]
    [InlineData(ClientApi.OpenAiChat, "{\"message\":{\"content\":\"x\"},\"done\":true,\"prompt_eval_count\":1.5}")]
    [InlineData(ClientApi.OpenAiChat, "{\"message\":{\"content\":\"x\"}")]
    [InlineData(ClientApi.OpenAiEmbeddings, "{\"embeddings\":{}}")]
    [InlineData(ClientApi.OpenAiEmbeddings, "{\"embeddings\":[1,2]}")]
    [InlineData(ClientApi.OpenAiEmbeddings, "{\"embeddings\":[[1]],\"prompt_eval_count\":\"8\"}")]
    public void Response_Garbage_FalseWith502AndNoException(ClientApi api, string body)
    {
        var error = AdapterCalls.FailedResponse(_adapter, api, Encoding.UTF8.GetBytes(body));

        Assert.Equal(502, error.Status);
    }

    [Fact]
    public void ReadError_404_KeepsStatusAndOllamasMessage()
    {
        var error = _adapter.ReadError(404, ProviderTestData.Read("ollama/error-404.json"));

        Assert.Equal(404, error.Status);
        Assert.Equal("not_found_error", error.Type);
        Assert.Equal("model \"nope\" not found, try pulling it first", error.Message);
    }

    [Theory]
    [InlineData(500, "{\"error\":\"llama runner process has terminated\"}", 502)]
    [InlineData(503, "{\"error\":\"server busy, please try again.  maximum pending requests exceeded\"}", 503)]
    [InlineData(400, "{\"error\":\"invalid options\"}", 400)]
    [InlineData(502, "Bad Gateway", 502)]
    public void ReadError_MapsTheStatus(int status, string body, int expected)
    {
        var error = _adapter.ReadError(status, Encoding.UTF8.GetBytes(body));

        Assert.Equal(expected, error.Status);
        Assert.False(string.IsNullOrEmpty(error.Message));
    }

    private static ProviderModel Provider() => new() { Name = "o", Kind = ProviderKind.Ollama, BaseUrl = new Uri("http://h:11434"), Cluster = "c" };
}
