using System.ClientModel;
using System.ClientModel.Primitives;
using System.Net.Http.Json;
using System.Text.Json;
using Anthropic;
using OpenAI;
using OpenAI.Chat;
using OpenAI.Embeddings;

namespace FastGate.Functional.Tests.Ai;

/// <summary>
/// The official SDKs as a user sets them up, with only the base URL (and the key) changed, and
/// their retries off: a test counts attempts and must see the gateway's fallback, not the SDK's.
/// </summary>
public static class AiClients
{
    public static OpenAIClientOptions OpenAiOptions(Uri origin) => new()
    {
        Endpoint = new Uri(origin, "/v1"),
        RetryPolicy = new ClientRetryPolicy(maxRetries: 0),
        NetworkTimeout = TimeSpan.FromSeconds(30),
    };

    public static ChatClient Chat(Uri origin, string model, string key) =>
        new(model, new ApiKeyCredential(key), OpenAiOptions(origin));

    public static EmbeddingClient Embeddings(Uri origin, string model, string key) =>
        new(model, new ApiKeyCredential(key), OpenAiOptions(origin));

    public static AnthropicClient Anthropic(Uri origin, string key) => new()
    {
        BaseUrl = origin.ToString().TrimEnd('/'),
        ApiKey = key,
        MaxRetries = 0,
        Timeout = TimeSpan.FromSeconds(30),
    };

    /// <summary>An OpenAI function tool the mock answers when the model has the <c>tools</c> option.</summary>
    public static ChatTool WeatherTool { get; } = ChatTool.CreateFunctionTool(
        "get_weather",
        "The weather in a city",
        BinaryData.FromString("""{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}"""));

    /// <summary>"tok tok ... tok": the text of <paramref name="tokens"/> mock output tokens.</summary>
    public static string Tokens(int tokens) => string.Join(' ', Enumerable.Repeat("tok", tokens));

    /// <summary>What the mock providers served so far (<c>GET /_mock/ai/stats</c>).</summary>
    public static async Task<MockAiStats> MockStatsAsync(int mockPort)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        var stats = await http.GetFromJsonAsync<MockAiStats>($"http://127.0.0.1:{mockPort}/_mock/ai/stats", AiJsonContext.Default.MockAiStats);
        return stats!;
    }

    public static async Task ResetMockAsync(int mockPort)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        using var response = await http.PostAsync($"http://127.0.0.1:{mockPort}/_mock/ai/reset", null);
        response.EnsureSuccessStatusCode();
    }
}

public sealed record MockAiStats(
    [property: System.Text.Json.Serialization.JsonPropertyName("requests")] long Requests,
    [property: System.Text.Json.Serialization.JsonPropertyName("completed")] long Completed,
    [property: System.Text.Json.Serialization.JsonPropertyName("input_tokens")] long InputTokens,
    [property: System.Text.Json.Serialization.JsonPropertyName("output_tokens")] long OutputTokens,
    [property: System.Text.Json.Serialization.JsonPropertyName("cached_tokens")] long CachedTokens,
    [property: System.Text.Json.Serialization.JsonPropertyName("reasoning_tokens")] long ReasoningTokens);

[System.Text.Json.Serialization.JsonSerializable(typeof(MockAiStats))]
internal sealed partial class AiJsonContext : System.Text.Json.Serialization.JsonSerializerContext;
