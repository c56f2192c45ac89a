using System.Buffers;
using System.Text;
using System.Text.Json;
using FastGate.Ai.Providers;
using FastGate.Ai.Providers.OpenAi;
using FastGate.Core.Buffers;
using FastGate.Proxy.Config;
using FastGate.Proxy.Forwarding;
using static FastGate.Ai.Tests.OpenAi.OpenAiTestData;

namespace FastGate.Ai.Tests.OpenAi;

public class OpenAiAdapterTests
{
    private static readonly OpenAiAdapter OpenAi = new(ProviderKind.OpenAi);
    private static readonly AzureOpenAiAdapter Azure = new();

    private static ProviderModel Provider(string baseUrl, ProviderKind kind = ProviderKind.OpenAi, string? apiVersion = null) => new()
    {
        Name = "p",
        Kind = kind,
        BaseUrl = new Uri(baseUrl),
        ApiVersion = apiVersion,
        Cluster = "ai-p",
    };

    private static string WriteRequest(ProviderAdapter adapter, ClientApi api, string pivot, bool stream, string model = "target-model")
    {
        var body = new ArrayBufferWriter<byte>();
        var facts = new RequestFacts { Stream = stream };
        Assert.True(adapter.TryWriteRequest(api, Encoding.UTF8.GetBytes(pivot), facts, Encoding.UTF8.GetBytes(model), body, out var error), error.Message);
        return Encoding.UTF8.GetString(body.WrittenSpan);
    }

    private static string Target(ProviderAdapter adapter, ClientApi api, ProviderModel provider, string model)
    {
        var target = new ArrayBufferWriter<byte>();
        adapter.WriteTarget(api, provider, Encoding.UTF8.GetBytes(model), false, target);
        return Encoding.UTF8.GetString(target.WrittenSpan);
    }

    [Fact]
    public void Only_openai_kinds_make_an_openai_adapter()
    {
        Assert.Equal(ProviderKind.OpenAiCompatible, new OpenAiAdapter(ProviderKind.OpenAiCompatible).Kind);
        Assert.Throws<ArgumentOutOfRangeException>(() => new OpenAiAdapter(ProviderKind.Anthropic));
    }

    [Theory]
    [InlineData(ClientApi.OpenAiChat, true)]
    [InlineData(ClientApi.OpenAiEmbeddings, true)]
    [InlineData(ClientApi.OpenAiResponses, true)]
    [InlineData(ClientApi.AnthropicMessages, false)]
    [InlineData(ClientApi.AnthropicCountTokens, false)]
    public void Supports_the_openai_apis(ClientApi api, bool supported)
    {
        Assert.Equal(supported, OpenAi.Supports(api));
        Assert.Equal(supported, Azure.Supports(api));
    }

    [Theory]
    [InlineData("http://127.0.0.1:9000", ClientApi.OpenAiChat, "/v1/chat/completions")]
    [InlineData("http://127.0.0.1:9000/", ClientApi.OpenAiEmbeddings, "/v1/embeddings")]
    [InlineData("https://gw.example.com/openai-proxy/", ClientApi.OpenAiResponses, "/openai-proxy/v1/responses")]
    public void Openai_targets_are_the_base_path_then_the_api_path(string baseUrl, ClientApi api, string expected) =>
        Assert.Equal(expected, Target(OpenAi, api, Provider(baseUrl), "gpt-4o-mini"));

    [Theory]
    [InlineData(ClientApi.OpenAiChat, "gpt-4o", "/openai/deployments/gpt-4o/chat/completions?api-version=2024-10-21")]
    [InlineData(ClientApi.OpenAiEmbeddings, "emb-3", "/openai/deployments/emb-3/embeddings?api-version=2024-10-21")]
    [InlineData(ClientApi.OpenAiResponses, "gpt-4o", "/openai/responses?api-version=2024-10-21")]
    // A model name cannot add path segments or query parameters.
    [InlineData(ClientApi.OpenAiChat, "../x?a=b#c%", "/openai/deployments/..%2Fx%3Fa=b%23c%25/chat/completions?api-version=2024-10-21")]
    [InlineData(ClientApi.OpenAiChat, "m+tokens-20", "/openai/deployments/m+tokens-20/chat/completions?api-version=2024-10-21")]
    public void Azure_targets_are_deployment_urls_with_the_api_version(ClientApi api, string model, string expected) =>
        Assert.Equal(expected, Target(Azure, api, Provider("https://res.openai.azure.com", ProviderKind.AzureOpenAi, "2024-10-21"), model));

    [Fact]
    public void Openai_key_goes_in_a_bearer_authorization_and_azure_key_in_api_key()
    {
        var headers = new HeaderEdits();
        OpenAi.SetHeaders(Provider("http://h"), "sk-test-1", headers);
        Assert.True(headers.TryGetValue("Authorization"u8, out var value));
        Assert.Equal("Bearer sk-test-1", Encoding.ASCII.GetString(value));
        Assert.True(headers.Drops("x-api-key"u8));

        var azure = new HeaderEdits();
        Azure.SetHeaders(Provider("http://h", ProviderKind.AzureOpenAi), "az-key", azure);
        Assert.True(azure.TryGetValue("api-key"u8, out value));
        Assert.Equal("az-key", Encoding.ASCII.GetString(value));
        Assert.True(azure.Drops("authorization"u8));
        Assert.False(azure.TryGetValue("authorization"u8, out _));
        Assert.True(azure.Drops("x-api-key"u8));
    }

    [Fact]
    public void Openai_compatible_without_a_key_sends_no_authorization()
    {
        var headers = new HeaderEdits();
        new OpenAiAdapter(ProviderKind.OpenAiCompatible).SetHeaders(Provider("http://h"), "", headers);
        Assert.True(headers.Drops("authorization"u8));
        Assert.False(headers.TryGetValue("authorization"u8, out _));
    }

    [Fact]
    public void Chat_request_gets_the_target_model_and_the_rest_as_it_came()
    {
        var body = WriteRequest(OpenAi, ClientApi.OpenAiChat,
            """{"messages":[{"role":"user","content":"hi \"you\""}],"model":"gpt-4o-mini","temperature":0.2,"tools":[{"type":"function","function":{"name":"f","parameters":{}}}]}""",
            stream: false);

        Assert.Equal("""{"model":"target-model","messages":[{"role":"user","content":"hi \"you\""}],"temperature":0.2,"tools":[{"type":"function","function":{"name":"f","parameters":{}}}]}""", body);
    }

    [Fact]
    public void Stream_without_stream_options_asks_for_usage()
    {
        var body = WriteRequest(OpenAi, ClientApi.OpenAiChat, """{"model":"m","stream":true,"messages":[]}""", stream: true);

        Assert.Equal("""{"model":"target-model","stream":true,"messages":[],"stream_options":{"include_usage":true}}""", body);
    }

    [Theory]
    [InlineData("""{"include_usage":false,"include_obfuscation":false}""", """{"include_obfuscation":false,"include_usage":true}""")]
    [InlineData("""{"include_usage":true}""", """{"include_usage":true}""")]
    [InlineData("""{}""", """{"include_usage":true}""")]
    [InlineData("""null""", """{"include_usage":true}""")]
    public void Stream_options_of_the_client_are_kept_with_include_usage_forced(string clientOptions, string expected)
    {
        var body = WriteRequest(Azure, ClientApi.OpenAiChat, $$"""{"model":"m","stream":true,"stream_options":{{clientOptions}},"messages":[]}""", stream: true);

        Assert.Equal($$"""{"model":"target-model","stream":true,"stream_options":{{expected}},"messages":[]}""", body);
    }

    [Fact]
    public void Responses_and_embeddings_get_the_model_and_no_include_usage()
    {
        Assert.Equal("""{"model":"target-model","stream":true,"input":"hi"}""",
            WriteRequest(OpenAi, ClientApi.OpenAiResponses, """{"model":"gpt-4.1","input":"hi","stream":true}""", stream: true));
        Assert.Equal("""{"model":"target-model","input":["a","b"]}""",
            WriteRequest(OpenAi, ClientApi.OpenAiEmbeddings, """{"input":["a","b"],"model":"e"}""", stream: false));
    }

    [Fact]
    public void Stream_member_follows_the_facts()
    {
        // A pivot written by another front without a stream member, and one that says the opposite of the facts.
        Assert.Equal("""{"model":"target-model","stream":true,"messages":[],"stream_options":{"include_usage":true}}""",
            WriteRequest(OpenAi, ClientApi.OpenAiChat, """{"model":"m","messages":[]}""", stream: true));
        Assert.Equal("""{"model":"target-model","messages":[]}""",
            WriteRequest(OpenAi, ClientApi.OpenAiChat, """{"model":"m","stream":true,"stream_options":{"include_usage":true},"messages":[]}""", stream: false));
    }

    [Fact]
    public void Target_model_and_property_names_with_escapes_come_out_valid()
    {
        var body = WriteRequest(OpenAi, ClientApi.OpenAiChat, """{"model":"m","x\u0041":1,"messages":[]}""", stream: false, model: "a\"b");

        using var doc = JsonDocument.Parse(body);
        Assert.Equal("a\"b", doc.RootElement.GetProperty("model").GetString());
        Assert.Equal(1, doc.RootElement.GetProperty("xA").GetInt32());
    }

    [Fact]
    public void Request_that_is_not_an_object_is_refused()
    {
        var body = new ArrayBufferWriter<byte>();
        Assert.False(OpenAi.TryWriteRequest(ClientApi.OpenAiChat, "[1]"u8, default, "m"u8, body, out var error));
        Assert.Equal(400, error.Status);
        Assert.False(OpenAi.TryWriteRequest(ClientApi.OpenAiChat, "{\"model\":"u8, default, "m"u8, new ArrayBufferWriter<byte>(), out error));
        Assert.Equal(400, error.Status);
    }

    [Theory]
    [InlineData(ClientApi.OpenAiChat, "chat-completion.json", 1719, 310, 1536, 192)]
    [InlineData(ClientApi.OpenAiEmbeddings, "embeddings.json", 8, 0, 0, 0)]
    [InlineData(ClientApi.OpenAiResponses, "response.json", 328, 52, 256, 40)]
    public void Answer_is_copied_and_its_usage_read(ClientApi api, string file, long input, long output, long cached, long reasoning)
    {
        var body = Load(file);
        var pivot = new ArrayBufferWriter<byte>();
        var usage = default(TokenUsage);

        Assert.True(OpenAi.TryReadResponse(api, body, pivot, ref usage, out _));
        Assert.Equal(body, pivot.WrittenSpan.ToArray());
        Assert.Equal(new TokenUsage { Input = input, Output = output, CachedInput = cached, Reasoning = reasoning, Reported = true }, usage);
    }

    [Fact]
    public void Answer_with_null_usage_is_copied_and_reports_nothing()
    {
        var usage = default(TokenUsage);
        Assert.True(OpenAi.TryReadResponse(ClientApi.OpenAiChat, Load("chat-completion-null-usage.json"), new ArrayBufferWriter<byte>(), ref usage, out _));
        Assert.False(usage.Reported);
    }

    [Theory]
    [InlineData(ClientApi.OpenAiChat, "chat-garbage.json", "not valid JSON")]
    [InlineData(ClientApi.OpenAiChat, "chat-wrong-shape.json", "no choices")]
    [InlineData(ClientApi.OpenAiEmbeddings, "chat-completion.json", "no embeddings data")]
    [InlineData(ClientApi.OpenAiChat, "error-string.json", "model 'llama3:70b' not found")]
    public void Garbage_answer_is_a_502_api_error(ClientApi api, string file, string message)
    {
        var usage = default(TokenUsage);
        Assert.False(OpenAi.TryReadResponse(api, Load(file), new ArrayBufferWriter<byte>(), ref usage, out var error));
        Assert.Equal(502, error.Status);
        Assert.Equal("api_error", error.Type);
        Assert.Contains(message, error.Message);
        Assert.False(usage.Reported);
    }

    [Theory]
    [InlineData(429, "error-429.json", 429, "rate_limit_error", "Rate limit reached for gpt-4o-mini")]
    [InlineData(404, "error-404.json", 404, "not_found_error", "The model `gpt-5-nano-x` does not exist")]
    [InlineData(400, "error-string.json", 400, "invalid_request_error", "model 'llama3:70b' not found, try pulling it first")]
    [InlineData(502, "error-502.txt", 502, "api_error", "<html>")]
    [InlineData(500, "error-404.json", 502, "api_error", "The model")]
    [InlineData(503, "error-429.json", 503, "overloaded_error", "Rate limit")]
    public void Provider_errors_keep_their_message_and_get_a_sensible_status(int status, string file, int mapped, string type, string message)
    {
        var error = OpenAi.ReadError(status, Load(file));

        Assert.Equal(mapped, error.Status);
        Assert.Equal(type, error.Type);
        Assert.Contains(message, error.Message);
    }

    [Theory]
    [InlineData(400, 400)]
    [InlineData(401, 401)]
    [InlineData(403, 403)]
    [InlineData(404, 404)]
    [InlineData(408, 408)]
    [InlineData(409, 409)]
    [InlineData(413, 413)]
    [InlineData(422, 422)]
    [InlineData(429, 429)]
    [InlineData(500, 502)]
    [InlineData(502, 502)]
    [InlineData(504, 502)]
    [InlineData(503, 503)]
    [InlineData(402, 502)]
    public void Statuses_map_as_documented(int status, int mapped)
    {
        var error = Azure.ReadError(status, ""u8);
        Assert.Equal(mapped, error.Status);
        Assert.Contains(status.ToString(), error.Message);
    }
}
