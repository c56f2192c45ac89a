using System.Text;
using System.Text.Json;
using FastGate.Ai.Providers;
using FastGate.Ai.Providers.Gemini;
using FastGate.Proxy.Config;
using FastGate.Proxy.Forwarding;

namespace FastGate.Ai.Tests.Gemini;

public class GeminiAdapterTests
{
    private readonly GeminiAdapter _adapter = new();

    [Theory]
    [InlineData(ClientApi.OpenAiChat, false, "http://127.0.0.1:9000", "gemini-2.5-flash", "/v1beta/models/gemini-2.5-flash:generateContent")]
    [InlineData(ClientApi.AnthropicMessages, true, "http://127.0.0.1:9000/", "gemini-2.5-flash", "/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse")]
    [InlineData(ClientApi.OpenAiEmbeddings, false, "https://g.example/prefix/", "text-embedding-004", "/prefix/v1beta/models/text-embedding-004:batchEmbedContents")]
    [InlineData(ClientApi.OpenAiChat, false, "http://h:1", "models/gemini-pro", "/v1beta/models/gemini-pro:generateContent")]
    [InlineData(ClientApi.OpenAiChat, true, "http://h:1", "m+tokens-20+tools", "/v1beta/models/m+tokens-20+tools:streamGenerateContent?alt=sse")]
    [InlineData(ClientApi.OpenAiChat, false, "http://h:1", "a/b:c?d é", "/v1beta/models/a%2Fb%3Ac%3Fd%20%C3%A9:generateContent")]
    public void WriteTarget_PutsTheModelInThePathAndTheMethodAfterIt(ClientApi api, bool stream, string baseUrl, string model, string expected)
    {
        Assert.Equal(expected, AdapterCalls.Target(_adapter, api, baseUrl, model, stream));
    }

    [Fact]
    public void SetHeaders_SendsTheKeyAsXGoogApiKey()
    {
        var headers = new HeaderEdits();
        var provider = new ProviderModel { Name = "g", Kind = ProviderKind.Gemini, BaseUrl = new Uri("http://h"), Cluster = "c" };

        _adapter.SetHeaders(provider, "AIza-secret", headers);

        Assert.True(headers.TryGetValue("x-goog-api-key"u8, out var value));
        Assert.Equal("AIza-secret", Encoding.UTF8.GetString(value));
        Assert.False(headers.TryGetValue("authorization"u8, out _));
    }

    [Fact]
    public void Supports_ChatMessagesAndEmbeddings_NotResponsesOrCountTokens()
    {
        Assert.True(_adapter.Supports(ClientApi.OpenAiChat));
        Assert.True(_adapter.Supports(ClientApi.AnthropicMessages));
        Assert.True(_adapter.Supports(ClientApi.OpenAiEmbeddings));
        Assert.False(_adapter.Supports(ClientApi.OpenAiResponses));
        Assert.False(_adapter.Supports(ClientApi.AnthropicCountTokens));
        Assert.Equal(StreamFraming.Sse, _adapter.StreamFraming);
    }

    [Fact]
    public void Request_SystemMessages_BecomeTheSystemInstructionAndRolesBecomeUserAndModel()
    {
        var body = AdapterCalls.Request(_adapter, ClientApi.OpenAiChat, """
            {"model":"gpt-4o","messages":[
              {"role":"system","content":"Be brief."},
              {"role":"developer","content":[{"type":"text","text":"Answer in French."}]},
              {"role":"user","content":"Hi \"there\""},
              {"role":"assistant","content":"Bonjour"},
              {"role":"user","content":[{"type":"text","text":"Again"}]}]}
            """);

        Assert.True(AdapterCalls.SameJson("""
            {"contents":[
              {"role":"user","parts":[{"text":"Hi \"there\""}]},
              {"role":"model","parts":[{"text":"Bonjour"}]},
              {"role":"user","parts":[{"text":"Again"}]}],
             "systemInstruction":{"parts":[{"text":"Be brief."},{"text":"Answer in French."}]}}
            """, body), body.ToString());
    }

    [Fact]
    public void Request_Images_DataUrlsInlineAndHttpUrlsAsFileDataWithATypeFromTheExtension()
    {
        var body = AdapterCalls.Request(_adapter, ClientApi.OpenAiChat, """
            {"messages":[{"role":"user","content":[
              {"type":"text","text":"What is this?"},
              {"type":"image_url","image_url":{"url":"data:image/png;base64,iVBORw0KGgo=","detail":"high"}},
              {"type":"image_url","image_url":{"url":"https:\/\/example.com\/cat.webp?size=large"}},
              {"type":"image_url","image_url":{"url":"https://example.com/photo"}}]}]}
            """);

        var parts = body.GetProperty("contents")[0].GetProperty("parts");
        Assert.Equal("What is this?", parts[0].GetProperty("text").GetString());
        Assert.True(AdapterCalls.SameJson("""{"inlineData":{"mimeType":"image/png","data":"iVBORw0KGgo="}}""", parts[1]));
        Assert.True(AdapterCalls.SameJson("""{"fileData":{"mimeType":"image/webp","fileUri":"https://example.com/cat.webp?size=large"}}""", parts[2]));
        Assert.Equal("image/jpeg", parts[3].GetProperty("fileData").GetProperty("mimeType").GetString());
    }

    [Fact]
    public void Request_ToolsAndToolChoice_BecomeFunctionDeclarationsAndToolConfig()
    {
        var body = AdapterCalls.Request(_adapter, ClientApi.OpenAiChat, """
            {"messages":[{"role":"user","content":"Weather?"}],
             "tools":[{"type":"function","function":{"name":"get_weather","description":"Current weather",
               "parameters":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"],"additionalProperties":false},"strict":true}}],
             "tool_choice":{"type":"function","function":{"name":"get_weather"}}}
            """);

        Assert.True(AdapterCalls.SameJson("""
            [{"functionDeclarations":[{"name":"get_weather","description":"Current weather",
              "parametersJsonSchema":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"],"additionalProperties":false}}]}]
            """, body.GetProperty("tools")), body.ToString());
        Assert.True(AdapterCalls.SameJson("""{"functionCallingConfig":{"mode":"ANY","allowedFunctionNames":["get_weather"]}}""", body.GetProperty("toolConfig")));
    }

    [Theory]
    [InlineData("\"auto\"", "AUTO")]
    [InlineData("\"none\"", "NONE")]
    [InlineData("\"required\"", "ANY")]
    public void Request_ToolChoiceWords_BecomeModes(string toolChoice, string mode)
    {
        var body = AdapterCalls.Request(_adapter, ClientApi.OpenAiChat,
            "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"f\"}}],\"tool_choice\":" + toolChoice + "}");

        Assert.Equal(mode, body.GetProperty("toolConfig").GetProperty("functionCallingConfig").GetProperty("mode").GetString());
        Assert.False(body.GetProperty("toolConfig").GetProperty("functionCallingConfig").TryGetProperty("allowedFunctionNames", out _));
    }

    [Fact]
    public void Request_ToolChoiceOfAnotherShape_LeavesGeminisDefault()
    {
        var body = AdapterCalls.Request(_adapter, ClientApi.OpenAiChat,
            """{"messages":[{"role":"user","content":"x"}],"tools":[{"type":"function","function":{"name":"f"}}],"tool_choice":{"type":"allowed_tools","allowed_tools":{"mode":"auto","tools":[]}}}""");

        Assert.True(body.TryGetProperty("tools", out _));
        Assert.False(body.TryGetProperty("toolConfig", out _));
    }

    [Fact]
    public void Request_NoTools_WritesNoToolsOrToolConfig()
    {
        var body = AdapterCalls.Request(_adapter, ClientApi.OpenAiChat, """{"messages":[{"role":"user","content":"x"}],"tool_choice":"auto"}""");

        Assert.False(body.TryGetProperty("tools", out _));
        Assert.False(body.TryGetProperty("toolConfig", out _));
        Assert.False(body.TryGetProperty("generationConfig", out _));
        Assert.False(body.TryGetProperty("systemInstruction", out _));
    }

    [Fact]
    public void Request_ToolCallsAndResults_BecomeFunctionCallsAndOneTurnOfFunctionResponses()
    {
        var body = AdapterCalls.Request(_adapter, ClientApi.OpenAiChat, """
            {"messages":[
              {"role":"user","content":"Weather and time in Paris?"},
              {"role":"assistant","content":null,"tool_calls":[
                {"id":"call_a","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}},
                {"id":"call_b","type":"function","function":{"name":"get_time","arguments":""}}]},
              {"role":"tool","tool_call_id":"call_a","content":"{\"temp\":21,\"sky\":\"clear\"}"},
              {"role":"tool","tool_call_id":"call_b","content":"14:05"},
              {"role":"assistant","content":"21 degrees at 14:05."}]}
            """);

        Assert.True(AdapterCalls.SameJson("""
            [{"role":"user","parts":[{"text":"Weather and time in Paris?"}]},
             {"role":"model","parts":[{"functionCall":{"name":"get_weather","args":{"city":"Paris"}}},{"functionCall":{"name":"get_time","args":{}}}]},
             {"role":"user","parts":[
               {"functionResponse":{"name":"get_weather","response":{"content":{"temp":21,"sky":"clear"}}}},
               {"functionResponse":{"name":"get_time","response":{"content":"14:05"}}}]},
             {"role":"model","parts":[{"text":"21 degrees at 14:05."}]}]
            """, body.GetProperty("contents")), body.ToString());
    }

    [Theory]
    [InlineData("gemini-3-pro-preview", true)]
    [InlineData("Gemini-3.5-flash", true)]
    [InlineData("models/gemini-10-ultra", true)]
    [InlineData("gemini-2.5-pro", false)]
    [InlineData("gemini-1.5-flash", false)]
    [InlineData("m+tools", false)]
    public void Request_FunctionCallsInTheHistory_CarryTheSkipSignatureForGemini3AndLater(string model, bool signed)
    {
        var body = AdapterCalls.Request(_adapter, ClientApi.OpenAiChat, """
            {"messages":[{"role":"user","content":"x"},
              {"role":"assistant","tool_calls":[{"id":"a","type":"function","function":{"name":"f","arguments":"{}"}}]},
              {"role":"tool","tool_call_id":"a","content":"1"}]}
            """, model: model);

        var part = body.GetProperty("contents")[1].GetProperty("parts")[0];
        Assert.Equal(signed, part.TryGetProperty("thoughtSignature", out var signature));
        if (signed)
        {
            Assert.Equal("skip_thought_signature_validator", signature.GetString());
        }
    }

    [Fact]
    public void Request_ToolCallIdsRepeatedAcrossTurns_NameTheNewestCall()
    {
        var body = AdapterCalls.Request(_adapter, ClientApi.OpenAiChat, """
            {"messages":[
              {"role":"assistant","tool_calls":[{"id":"call_0","type":"function","function":{"name":"first","arguments":"{}"}}]},
              {"role":"tool","tool_call_id":"call_0","content":"1"},
              {"role":"assistant","tool_calls":[{"id":"call_0","type":"function","function":{"name":"second","arguments":"{}"}}]},
              {"role":"tool","tool_call_id":"call_0","content":"2"}]}
            """);

        var contents = body.GetProperty("contents");
        Assert.Equal("first", contents[1].GetProperty("parts")[0].GetProperty("functionResponse").GetProperty("name").GetString());
        Assert.Equal("second", contents[3].GetProperty("parts")[0].GetProperty("functionResponse").GetProperty("name").GetString());
    }

    [Fact]
    public void Request_GenerationSettings_BecomeGenerationConfig()
    {
        var body = AdapterCalls.Request(_adapter, ClientApi.OpenAiChat, """
            {"messages":[{"role":"user","content":"x"}],"max_tokens":50,"max_completion_tokens":100,
             "temperature":0.2,"top_p":0.9,"stop":"END","seed":7,
             "response_format":{"type":"json_schema","json_schema":{"name":"r","schema":{"type":"object"}}}}
            """);

        Assert.True(AdapterCalls.SameJson("""
            {"maxOutputTokens":100,"temperature":0.2,"topP":0.9,"seed":7,"stopSequences":["END"],
             "responseMimeType":"application/json","responseJsonSchema":{"type":"object"}}
            """, body.GetProperty("generationConfig")), body.ToString());
    }

    [Fact]
    public void Request_StopArrayAndMaxTokens_AreCopied()
    {
        var body = AdapterCalls.Request(_adapter, ClientApi.AnthropicMessages, """{"messages":[{"role":"user","content":"x"}],"max_tokens":5,"stop":["a","b"]}""");

        Assert.True(AdapterCalls.SameJson("""{"maxOutputTokens":5,"stopSequences":["a","b"]}""", body.GetProperty("generationConfig")));
    }

    [Theory]
    [InlineData("""{"messages":[{"role":"tool","tool_call_id":"nowhere","content":"x"}]}""", "tool_call_id")]
    [InlineData("""{"messages":[{"role":"assistant","tool_calls":[{"id":"a","type":"function","function":{"name":"f","arguments":"{not json"}}]}]}""", "arguments")]
    [InlineData("""{"messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"ftp://x/y.png"}}]}]}""", "image_url")]
    [InlineData("""{"messages":[{"role":"user","content":[{"type":"file","file":{}}]}]}""", "content parts")]
    [InlineData("""{"messages":"hi"}""", "messages")]
    [InlineData("""{"messages":[{"role":"wizard","content":"x"}]}""", "role")]
    public void Request_GeminiCannotTakeIt_400WithTheReason(string pivot, string reason)
    {
        Assert.False(AdapterCalls.TryRequest(_adapter, ClientApi.OpenAiChat, pivot, out _, out var error));

        Assert.Equal(400, error.Status);
        Assert.Equal("invalid_request_error", error.Type);
        Assert.Contains(reason, error.Message);
    }

    [Theory]
    [InlineData("")]
    [InlineData("garbage")]
    [InlineData("{\"messages\":[")]
    [InlineData("[]")]
    [InlineData("{\"messages\":[7]}")]
    [InlineData("{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]} {}")]
    [InlineData("{\"messages\":[{\"role\":\"assistant\",\"tool_calls\":[{\"function\":[]}]}]}")]
    public void Request_MalformedPivot_FalseWith400AndNoException(string pivot)
    {
        Assert.False(AdapterCalls.TryRequest(_adapter, ClientApi.OpenAiChat, pivot, out _, out var error));
        Assert.Equal(400, error.Status);
    }

    [Fact]
    public void Request_Embeddings_OneRequestPerInputWithTheQualifiedModel()
    {
        var body = AdapterCalls.Request(_adapter, ClientApi.OpenAiEmbeddings, """{"model":"x","input":["one","two \"2\""],"dimensions":256,"encoding_format":"float"}""", model: "text-embedding-004");

        Assert.True(AdapterCalls.SameJson("""
            {"requests":[
              {"model":"models/text-embedding-004","content":{"parts":[{"text":"one"}]},"outputDimensionality":256},
              {"model":"models/text-embedding-004","content":{"parts":[{"text":"two \"2\""}]},"outputDimensionality":256}]}
            """, body), body.ToString());
    }

    [Fact]
    public void Request_EmbeddingsOfOneString_OneRequest()
    {
        var body = AdapterCalls.Request(_adapter, ClientApi.OpenAiEmbeddings, """{"input":"hello"}""", model: "models/e");

        Assert.True(AdapterCalls.SameJson("""{"requests":[{"model":"models/e","content":{"parts":[{"text":"hello"}]}}]}""", body));
    }

    [Theory]
    [InlineData("""{"input":[[1,2,3]]}""")]
    [InlineData("""{"input":[]}""")]
    [InlineData("""{"input":5}""")]
    [InlineData("""{}""")]
    public void Request_EmbeddingsOfTokensOrNothing_400(string pivot)
    {
        Assert.False(AdapterCalls.TryRequest(_adapter, ClientApi.OpenAiEmbeddings, pivot, out _, out var error));
        Assert.Equal(400, error.Status);
    }

    [Fact]
    public void Response_GenerateContent_JoinsTextLeavesThoughtsOutAndListsCalls()
    {
        var (pivot, usage) = AdapterCalls.Response(_adapter, ClientApi.OpenAiChat, ProviderTestData.Read("gemini/generate-content.json"));

        Assert.Equal("chat.completion", pivot.GetProperty("object").GetString());
        Assert.Equal("gemini-2.5-pro", pivot.GetProperty("model").GetString());
        var choice = pivot.GetProperty("choices")[0];
        var message = choice.GetProperty("message");
        Assert.Equal("assistant", message.GetProperty("role").GetString());
        Assert.Equal("The weather in \"Paris\":", message.GetProperty("content").GetString());
        var call = Assert.Single(message.GetProperty("tool_calls").EnumerateArray());
        Assert.StartsWith("call_", call.GetProperty("id").GetString());
        Assert.Equal("function", call.GetProperty("type").GetString());
        Assert.Equal("get_weather", call.GetProperty("function").GetProperty("name").GetString());
        Assert.True(AdapterCalls.SameJson("""{"city":"Paris"}""", JsonDocument.Parse(call.GetProperty("function").GetProperty("arguments").GetString()!).RootElement));
        Assert.Equal("tool_calls", choice.GetProperty("finish_reason").GetString());
        Assert.True(AdapterCalls.SameJson("""
            {"prompt_tokens":100,"completion_tokens":27,"total_tokens":127,
             "prompt_tokens_details":{"cached_tokens":60},"completion_tokens_details":{"reasoning_tokens":7}}
            """, pivot.GetProperty("usage")));
        Assert.Equal(new TokenUsageView(100, 27, 60, 7, true), TokenUsageView.Of(usage));
    }

    [Fact]
    public void Response_MaxTokens_FinishesAsLength()
    {
        var (pivot, _) = AdapterCalls.Response(_adapter, ClientApi.OpenAiChat, ProviderTestData.Read("gemini/max-tokens.json"));

        Assert.Equal("length", pivot.GetProperty("choices")[0].GetProperty("finish_reason").GetString());
        Assert.Equal("Once upon a", pivot.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString());
        Assert.False(pivot.GetProperty("choices")[0].GetProperty("message").TryGetProperty("tool_calls", out _));
    }

    [Theory]
    [InlineData("""{"promptFeedback":{"blockReason":"SAFETY"},"usageMetadata":{"promptTokenCount":4,"totalTokenCount":4}}""")]
    [InlineData("""{"candidates":[{"finishReason":"RECITATION","index":0}]}""")]
    [InlineData("""{"candidates":[{"content":{"parts":[]},"finishReason":"PROHIBITED_CONTENT"}]}""")]
    public void Response_Blocked_ContentFilterWithNullContent(string body)
    {
        var (pivot, _) = AdapterCalls.Response(_adapter, ClientApi.OpenAiChat, Encoding.UTF8.GetBytes(body));

        var choice = pivot.GetProperty("choices")[0];
        Assert.Equal("content_filter", choice.GetProperty("finish_reason").GetString());
        Assert.Equal(JsonValueKind.Null, choice.GetProperty("message").GetProperty("content").ValueKind);
    }

    [Fact]
    public void Response_NoUsageMetadata_LeavesUsageUnreported()
    {
        var (pivot, usage) = AdapterCalls.Response(_adapter, ClientApi.OpenAiChat, """{"candidates":[{"content":{"parts":[{"text":"hi"}]},"finishReason":"STOP"}]}"""u8.ToArray());

        Assert.False(usage.Reported);
        Assert.False(pivot.TryGetProperty("usage", out _));
        Assert.Equal("stop", pivot.GetProperty("choices")[0].GetProperty("finish_reason").GetString());
    }

    [Fact]
    public void Response_Embeddings_BecomeAnOpenAiListWithoutUsage()
    {
        var (pivot, usage) = AdapterCalls.Response(_adapter, ClientApi.OpenAiEmbeddings, ProviderTestData.Read("gemini/embed-response.json"));

        Assert.Equal("list", pivot.GetProperty("object").GetString());
        var data = pivot.GetProperty("data");
        Assert.Equal(2, data.GetArrayLength());
        Assert.Equal("embedding", data[1].GetProperty("object").GetString());
        Assert.Equal(1, data[1].GetProperty("index").GetInt32());
        Assert.Equal(-1.25e-3, data[1].GetProperty("embedding")[1].GetDouble());
        Assert.Equal(3, data[0].GetProperty("embedding").GetArrayLength());
        Assert.False(usage.Reported);
    }

    [Theory]
    [InlineData("")]
    [InlineData("<html>bad gateway</html>")]
    [InlineData("{\"candidates\":")]
    [InlineData("{\"candidates\":{}}")]
    [InlineData("{\"candidates\":[{\"content\":{\"parts\":[{\"text\":1}]}}]} x")]
    [InlineData("{\"usageMetadata\":{\"candidatesTokenCount\":1.5}}")]
    [InlineData("[]")]
    public void Response_Garbage_FalseWith502AndNoException(string body)
    {
        var error = AdapterCalls.FailedResponse(_adapter, ClientApi.OpenAiChat, Encoding.UTF8.GetBytes(body));

        Assert.Equal(502, error.Status);
        Assert.Equal("api_error", error.Type);
    }

    [Theory]
    [InlineData("{}")]
    [InlineData("{\"embeddings\":[{\"values\":\"x\"}]}")]
    [InlineData("nope")]
    public void Response_EmbeddingsGarbage_FalseWith502(string body)
    {
        Assert.Equal(502, AdapterCalls.FailedResponse(_adapter, ClientApi.OpenAiEmbeddings, Encoding.UTF8.GetBytes(body)).Status);
    }

    [Fact]
    public void ReadError_429_KeepsStatusAndGoogleMessage()
    {
        var error = _adapter.ReadError(429, ProviderTestData.Read("gemini/error-429.json"));

        Assert.Equal(429, error.Status);
        Assert.Equal("rate_limit_error", error.Type);
        Assert.Contains("Resource has been exhausted", error.Message);
        Assert.Contains("RESOURCE_EXHAUSTED", error.Message);
    }

    [Theory]
    [InlineData(400, "INVALID_ARGUMENT", 400, "invalid_request_error")]
    [InlineData(401, "UNAUTHENTICATED", 401, "authentication_error")]
    [InlineData(403, "PERMISSION_DENIED", 403, "permission_error")]
    [InlineData(404, "NOT_FOUND", 404, "not_found_error")]
    [InlineData(500, "INTERNAL", 502, "api_error")]
    [InlineData(503, "UNAVAILABLE", 503, "overloaded_error")]
    [InlineData(504, "DEADLINE_EXCEEDED", 504, "timeout_error")]
    public void ReadError_MapsTheStatus(int status, string googleStatus, int expected, string type)
    {
        var body = "{\"error\":{\"code\":" + status + ",\"message\":\"went wrong\",\"status\":\"" + googleStatus + "\"}}";

        var error = _adapter.ReadError(status, Encoding.UTF8.GetBytes(body));

        Assert.Equal((expected, type), (error.Status, error.Type));
        Assert.StartsWith("went wrong", error.Message);
    }

    [Fact]
    public void ReadError_ArrayWrappedError_IsRead()
    {
        var error = _adapter.ReadError(400, """[{"error":{"code":400,"message":"API key not valid.","status":"INVALID_ARGUMENT"}}]"""u8);

        Assert.Equal(400, error.Status);
        Assert.Contains("API key not valid.", error.Message);
    }

    [Theory]
    [InlineData(502, "<html>Bad Gateway</html>")]
    [InlineData(500, "")]
    [InlineData(429, "{\"error\":")]
    public void ReadError_NotGoogleShaped_KeepsAMappedStatusAndSaysWhat(int status, string body)
    {
        var error = _adapter.ReadError(status, Encoding.UTF8.GetBytes(body));

        Assert.Equal(status == 429 ? 429 : 502, error.Status);
        Assert.Contains($"gemini answered HTTP {status}", error.Message);
    }
}
