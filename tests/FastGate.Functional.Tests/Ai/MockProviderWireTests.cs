using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace FastGate.Functional.Tests.Ai;

/// <summary>
/// The mock providers without an official .NET SDK (Gemini, Ollama, Azure's paths, Responses)
/// read on the wire, and the mock's counters: the shapes and numbers the gateway tests and the
/// ai-stream benchmark rely on.
/// </summary>
public sealed class MockProviderWireTests(MockProviderFixture fixture) : IClassFixture<MockProviderFixture>
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(30) };

    private async Task<(HttpStatusCode Status, string Body, HttpResponseMessage Response)> PostAsync(
        string path, string json, params (string Name, string Value)[] headers)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(fixture.Origin, path))
        {
            Content = new StringContent(json, Encoding.UTF8, "application/json"),
        };
        foreach (var (name, value) in headers)
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }
        var response = await Http.SendAsync(request);
        return (response.StatusCode, await response.Content.ReadAsStringAsync(), response);
    }

    [Fact]
    public async Task Gemini_StreamGenerateContent_CrlfEventsAndCompleteUsageLast()
    {
        var (status, body, response) = await PostAsync(
            "/v1beta/models/g+tokens-3+reasoning-2+cached-1:streamGenerateContent?alt=sse",
            """{"systemInstruction":{"parts":[{"text":"be brief"}]},"contents":[{"role":"user","parts":[{"text":"hello there"}]}]}""",
            ("x-goog-api-key", "k"));
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        var events = body.Split("\r\n\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(4, events.Length);
        var text = new StringBuilder();
        foreach (var e in events)
        {
            using var doc = JsonDocument.Parse(e["data: ".Length..]);
            text.Append(doc.RootElement.GetProperty("candidates")[0].GetProperty("content").GetProperty("parts")[0].GetProperty("text").GetString());
        }
        Assert.Equal("tok tok tok", text.ToString());
        using var last = JsonDocument.Parse(events[^1]["data: ".Length..]);
        var usage = last.RootElement.GetProperty("usageMetadata");
        Assert.Equal(4, usage.GetProperty("promptTokenCount").GetInt32());
        Assert.Equal(3, usage.GetProperty("candidatesTokenCount").GetInt32());
        Assert.Equal(2, usage.GetProperty("thoughtsTokenCount").GetInt32());
        Assert.Equal(1, usage.GetProperty("cachedContentTokenCount").GetInt32());
        Assert.Equal(9, usage.GetProperty("totalTokenCount").GetInt32());
        Assert.Equal("STOP", last.RootElement.GetProperty("candidates")[0].GetProperty("finishReason").GetString());
    }

    [Fact]
    public async Task Gemini_NoKey_401InGoogleErrorShape()
    {
        var (status, body, _) = await PostAsync("/v1beta/models/g:generateContent", """{"contents":[]}""");
        Assert.Equal(HttpStatusCode.Unauthorized, status);
        using var doc = JsonDocument.Parse(body);
        Assert.Equal("UNAUTHENTICATED", doc.RootElement.GetProperty("error").GetProperty("status").GetString());
    }

    [Fact]
    public async Task Ollama_ChatStreamsNdjsonByDefault_CountsOnTheDoneLine()
    {
        var (status, body, response) = await PostAsync("/api/chat", """{"model":"o+tokens-4","messages":[{"role":"user","content":"one two three"}]}""");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("application/x-ndjson", response.Content.Headers.ContentType?.MediaType);
        var lines = body.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(5, lines.Length);
        using var done = JsonDocument.Parse(lines[^1]);
        Assert.True(done.RootElement.GetProperty("done").GetBoolean());
        Assert.Equal(3, done.RootElement.GetProperty("prompt_eval_count").GetInt32());
        Assert.Equal(4, done.RootElement.GetProperty("eval_count").GetInt32());
    }

    [Fact]
    public async Task Ollama_ToolCallArrivesWhole_ArgumentsAnObject()
    {
        var (_, body, _) = await PostAsync("/api/chat", """{"model":"o+tools","stream":false,"messages":[{"role":"user","content":"weather"}]}""");
        using var doc = JsonDocument.Parse(body);
        var call = doc.RootElement.GetProperty("message").GetProperty("tool_calls")[0].GetProperty("function");
        Assert.Equal("get_weather", call.GetProperty("name").GetString());
        Assert.Equal("Paris", call.GetProperty("arguments").GetProperty("city").GetString());
    }

    [Fact]
    public async Task Azure_DeploymentPath_NeedsApiVersionAndKey()
    {
        var ok = await PostAsync("/openai/deployments/d+tokens-2/chat/completions?api-version=2024-10-21",
            """{"messages":[{"role":"user","content":"hi"}]}""", ("api-key", "k"));
        Assert.Equal(HttpStatusCode.OK, ok.Status);
        using (var doc = JsonDocument.Parse(ok.Body))
        {
            Assert.Equal("tok tok", doc.RootElement.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString());
            Assert.Equal("d+tokens-2", doc.RootElement.GetProperty("model").GetString());
        }
        var noVersion = await PostAsync("/openai/deployments/d/chat/completions", """{"messages":[]}""", ("api-key", "k"));
        Assert.Equal(HttpStatusCode.NotFound, noVersion.Status);
        var noKey = await PostAsync("/openai/deployments/d/chat/completions?api-version=2024-10-21", """{"messages":[]}""");
        Assert.Equal(HttpStatusCode.Unauthorized, noKey.Status);
    }

    [Fact]
    public async Task Responses_Streamed_DeltasThenCompletedWithUsage()
    {
        var (status, body, _) = await PostAsync("/v1/responses", """{"model":"r+tokens-3+reasoning-1","stream":true,"instructions":"be brief","input":"hello there"}""",
            ("Authorization", "Bearer k"));
        Assert.Equal(HttpStatusCode.OK, status);
        var events = body.Split("\n\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("event: response.created", events[0].Split('\n')[0]);
        Assert.Equal(3, events.Count(e => e.StartsWith("event: response.output_text.delta\n", StringComparison.Ordinal)));
        var completed = events[^1];
        Assert.StartsWith("event: response.completed\n", completed, StringComparison.Ordinal);
        using var doc = JsonDocument.Parse(completed.Split('\n')[1]["data: ".Length..]);
        var usage = doc.RootElement.GetProperty("response").GetProperty("usage");
        Assert.Equal(4, usage.GetProperty("input_tokens").GetInt32());
        Assert.Equal(4, usage.GetProperty("output_tokens").GetInt32());
        Assert.Equal(1, usage.GetProperty("output_tokens_details").GetProperty("reasoning_tokens").GetInt32());
        var sequence = events.Select(e => JsonDocument.Parse(e.Split('\n')[1]["data: ".Length..]).RootElement.GetProperty("sequence_number").GetInt32()).ToArray();
        Assert.Equal(Enumerable.Range(0, sequence.Length), sequence);
    }

    [Fact]
    public async Task OpenAi_StreamWithoutIncludeUsage_NoUsageChunk()
    {
        var (_, body, _) = await PostAsync("/v1/chat/completions", """{"model":"m+tokens-2","stream":true,"messages":[{"role":"user","content":"hi"}]}""",
            ("Authorization", "Bearer k"));
        Assert.DoesNotContain("\"usage\"", body, StringComparison.Ordinal);
        Assert.EndsWith("data: [DONE]\n\n", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Pacing_TtftAndTokensPerSecond_HoldBackTheFirstTokenAndTheRest()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(fixture.Origin, "/v1/chat/completions"))
        {
            Content = new StringContent("""{"model":"m+tokens-9+ttft-300+tps-20","stream":true,"messages":[{"role":"user","content":"hi"}]}""",
                Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "k");
        var clock = System.Diagnostics.Stopwatch.StartNew();
        using var response = await Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        var head = clock.ElapsedMilliseconds;
        var body = await response.Content.ReadAsStringAsync();
        var total = clock.ElapsedMilliseconds;
        Assert.Contains("\"content\":\" tok\"", body, StringComparison.Ordinal);
        // 300 ms before anything; then 8 more tokens at 20/s, due 400 ms after the first one was
        // written. Lower bounds from the request's start only: on a busy machine the first token
        // can reach the client late, and the mock then sends the tokens already due at once, so
        // the gap between the head and the end may shrink, but the end never comes sooner.
        Assert.True(head >= 290, $"head after {head} ms");
        Assert.True(total >= 680, $"stream ended after {total} ms");
    }

    [Fact]
    public async Task Stats_CountCompletedResponsesOnly_AndReset()
    {
        await AiClients.ResetMockAsync(fixture.Mock.Port);
        var auth = ("Authorization", "Bearer k");
        await PostAsync("/v1/chat/completions", """{"model":"m+tokens-5+cached-1+reasoning-2","messages":[{"role":"user","content":"a b c"}]}""", auth);
        await PostAsync("/v1/chat/completions", """{"model":"m+tokens-5+nousage","stream":true,"messages":[{"role":"user","content":"a b"}]}""", auth);
        await PostAsync("/v1/chat/completions", """{"model":"m+fail-503","messages":[{"role":"user","content":"a"}]}""", auth);
        await Assert.ThrowsAnyAsync<HttpRequestException>(() =>
            PostAsync("/v1/chat/completions", """{"model":"m+tokens-8+cut","stream":true,"messages":[{"role":"user","content":"a"}]}""", auth));
        await PostAsync("/v1/messages/count_tokens", """{"model":"c","messages":[{"role":"user","content":"a b c d"}]}""",
            ("x-api-key", "k"), ("anthropic-version", "2023-06-01"));
        var stats = await AiClients.MockStatsAsync(fixture.Mock.Port);
        Assert.Equal(new MockAiStats(Requests: 5, Completed: 2, InputTokens: 5, OutputTokens: 12, CachedTokens: 1, ReasoningTokens: 2), stats);
        await AiClients.ResetMockAsync(fixture.Mock.Port);
        Assert.Equal(new MockAiStats(0, 0, 0, 0, 0, 0), await AiClients.MockStatsAsync(fixture.Mock.Port));
    }
}
