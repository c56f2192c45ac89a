using System.ClientModel;
using System.Text;
using Anthropic.Models.Messages;
using OpenAI.Chat;
using OpenAI.Models;

namespace FastGate.Functional.Tests.Ai;

/// <summary>
/// The official SDKs through FastGate's AI route to every provider kind the mock speaks, with
/// only the base URL and the key changed: what a user of the SDK sees (text, tool calls, usage,
/// errors) whatever provider answered.
/// </summary>
public sealed class AiGatewayTests(AiGatewayFixture fixture) : IClassFixture<AiGatewayFixture>
{
    private const string Key = AiGatewayFixture.ClientKey;

    public static TheoryData<string> Kinds() => [.. AiGatewayFixture.Kinds];

    private ChatClient Chat(string model) => AiClients.Chat(fixture.Origin, model, Key);

    // "You are brief" + "hello from the test" = 7 words: the mock's input tokens.
    private static ChatMessage[] Prompt() => [new SystemChatMessage("You are brief"), new UserChatMessage("hello from the test")];

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task OpenAiSdk_PlainChat_TextAndUsageFromEveryProviderKind(string kind)
    {
        ChatCompletion completion = await Chat($"{kind}-m+tokens-8").CompleteChatAsync(Prompt());
        Assert.Equal(AiClients.Tokens(8), completion.Content[0].Text);
        Assert.Equal(ChatFinishReason.Stop, completion.FinishReason);
        Assert.Equal(7, completion.Usage.InputTokenCount);
        Assert.Equal(8, completion.Usage.OutputTokenCount);
        Assert.Equal(15, completion.Usage.TotalTokenCount);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task OpenAiSdk_StreamedChat_EveryTokenAndUsageFromEveryProviderKind(string kind)
    {
        var text = new StringBuilder();
        ChatTokenUsage? usage = null;
        ChatFinishReason? finish = null;
        await foreach (var update in Chat($"{kind}-m+tokens-10").CompleteChatStreamingAsync(Prompt()))
        {
            foreach (var part in update.ContentUpdate)
            {
                text.Append(part.Text);
            }
            usage ??= update.Usage;
            finish ??= update.FinishReason;
        }
        Assert.Equal(AiClients.Tokens(10), text.ToString());
        Assert.Equal(ChatFinishReason.Stop, finish);
        Assert.NotNull(usage);
        Assert.Equal(7, usage.InputTokenCount);
        Assert.Equal(10, usage.OutputTokenCount);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task OpenAiSdk_ToolCall_PlainAndStreamed_NameAndArgumentsFromEveryProviderKind(string kind)
    {
        var chat = Chat($"{kind}-m+tools");
        var options = new ChatCompletionOptions { Tools = { AiClients.WeatherTool } };
        ChatMessage[] prompt = [new UserChatMessage("what is the weather in Paris")];

        ChatCompletion completion = await chat.CompleteChatAsync(prompt, options);
        Assert.Equal(ChatFinishReason.ToolCalls, completion.FinishReason);
        var call = Assert.Single(completion.ToolCalls);
        Assert.Equal("get_weather", call.FunctionName);
        Assert.False(string.IsNullOrEmpty(call.Id));
        Assert.Equal("Paris", call.FunctionArguments.ToObjectFromJson<Dictionary<string, string>>()!["city"]);

        var name = new StringBuilder();
        var arguments = new StringBuilder();
        var ids = new HashSet<string>();
        ChatFinishReason? finish = null;
        await foreach (var update in chat.CompleteChatStreamingAsync(prompt, options))
        {
            foreach (var piece in update.ToolCallUpdates)
            {
                Assert.Equal(0, piece.Index);
                name.Append(piece.FunctionName);
                arguments.Append(piece.FunctionArgumentsUpdate?.ToString());
                if (piece.ToolCallId is { Length: > 0 } id)
                {
                    ids.Add(id);
                }
            }
            finish ??= update.FinishReason;
        }
        Assert.Equal("get_weather", name.ToString());
        Assert.Equal("Paris", BinaryData.FromString(arguments.ToString()).ToObjectFromJson<Dictionary<string, string>>()!["city"]);
        Assert.Single(ids);
        Assert.Equal(ChatFinishReason.ToolCalls, finish);
    }

    [Theory]
    [InlineData("openai")]
    [InlineData("azure")]
    [InlineData("gemini")]
    [InlineData("ollama")]
    public async Task OpenAiSdk_Embeddings_OneVectorPerInput(string kind)
    {
        var client = AiClients.Embeddings(fixture.Origin, $"{kind}-e", Key);
        var result = (await client.GenerateEmbeddingsAsync(["alpha beta gamma", "delta"])).Value;
        Assert.Equal(2, result.Count);
        Assert.Equal(0, result[0].Index);
        Assert.Equal(1, result[1].Index);
        Assert.Equal(8, result[0].ToFloats().Length);
        Assert.NotEqual(result[0].ToFloats().ToArray(), result[1].ToFloats().ToArray());
    }

    [Theory]
    [InlineData("openai")]
    [InlineData("gemini")]
    [InlineData("ollama")]
    public async Task Embeddings_AskedInBase64_AreTheFloatVectorsAsLittleEndianFloat32(string kind)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        async Task<System.Text.Json.JsonElement> EmbedAsync(string format)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(fixture.Origin, "/v1/embeddings"))
            {
                Content = new StringContent($$"""{"model":"{{kind}}-e","input":["alpha beta","gamma"],"encoding_format":"{{format}}"}""", Encoding.UTF8, "application/json"),
            };
            request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", Key);
            using var response = await http.SendAsync(request);
            var body = await response.Content.ReadAsStringAsync();
            Assert.True(response.IsSuccessStatusCode, body);
            return System.Text.Json.JsonDocument.Parse(body).RootElement.Clone();
        }

        var floats = await EmbedAsync("float");
        var base64 = await EmbedAsync("base64");
        for (var i = 0; i < 2; i++)
        {
            var expected = floats.GetProperty("data")[i].GetProperty("embedding").EnumerateArray().Select(v => v.GetSingle()).ToArray();
            var encoded = base64.GetProperty("data")[i].GetProperty("embedding");
            Assert.Equal(System.Text.Json.JsonValueKind.String, encoded.ValueKind);
            var bytes = Convert.FromBase64String(encoded.GetString()!);
            Assert.Equal(expected, Enumerable.Range(0, bytes.Length / 4).Select(j => BitConverter.ToSingle(bytes, j * 4)).ToArray());
        }
    }

    [Fact]
    public async Task OpenAiSdk_429OnFirstTarget_SecondTargetAnswers()
    {
        var before = await fixture.MockStatsAsync();
        ChatCompletion completion = await Chat("fallback").CompleteChatAsync(Prompt());
        Assert.Equal(AiClients.Tokens(6), completion.Content[0].Text);
        var after = await fixture.MockStatsAsync();
        // The 429 and the answer: two upstream attempts, one completed.
        Assert.Equal(before.Requests + 2, after.Requests);
        Assert.Equal(before.Completed + 1, after.Completed);

        var text = new StringBuilder();
        await foreach (var update in Chat("fallback").CompleteChatStreamingAsync(Prompt()))
        {
            foreach (var part in update.ContentUpdate)
            {
                text.Append(part.Text);
            }
        }
        Assert.Equal(AiClients.Tokens(6), text.ToString());
    }

    [Fact]
    public async Task OpenAiSdk_UnknownModel_RaisesWithStatusAndMessage()
    {
        var e = await Assert.ThrowsAsync<ClientResultException>(() => Chat("no-such-model").CompleteChatAsync(Prompt()));
        Assert.True(e.Status is 404 or 400, $"status {e.Status}: {e.Message}");
        Assert.Contains("model", e.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task OpenAiSdk_ProviderFailsOnOnlyTarget_RaisesServerError()
    {
        var e = await Assert.ThrowsAsync<ClientResultException>(() => Chat("broken").CompleteChatAsync(Prompt()));
        Assert.True(e.Status >= 500, $"status {e.Status}: {e.Message}");
        Assert.False(string.IsNullOrWhiteSpace(e.Message));
    }

    [Theory]
    [InlineData("openai")]
    [InlineData("anthropic")]
    [InlineData("gemini")]
    public async Task OpenAiSdk_StreamCutHalfWay_RaisesAfterTheTokensSent(string kind)
    {
        var text = new StringBuilder();
        var e = await Record.ExceptionAsync(async () =>
        {
            await foreach (var update in Chat($"{kind}-m+tokens-40+cut").CompleteChatStreamingAsync(Prompt()))
            {
                foreach (var part in update.ContentUpdate)
                {
                    text.Append(part.Text);
                }
            }
        });
        // Failing before the first byte reached the client is an error status; after it, a broken stream.
        Assert.True(e is not null, $"the stream ended as if complete after '{text}'");
        Assert.True(text.Length < AiClients.Tokens(40).Length, $"got all of it: '{text}'");
    }

    [Theory]
    [InlineData("anthropic")]
    [InlineData("openai")]
    [InlineData("gemini")]
    public async Task AnthropicSdk_Messages_PlainAndStreamed_TextAndUsage(string kind)
    {
        var client = AiClients.Anthropic(fixture.Origin, Key);
        MessageCreateParams Request() => new()
        {
            Model = $"{kind}-c+tokens-5",
            MaxTokens = 200,
            System = "You are brief",
            Messages = [new UserMessageParam("hello from the test")],
        };

        var message = await client.Messages.Create(Request());
        Assert.True(message.Content[0].TryPickText(out var block));
        Assert.Equal(AiClients.Tokens(5), block.Text);
        Assert.Equal(7, message.Usage.InputTokens + (message.Usage.CacheReadInputTokens ?? 0));
        Assert.Equal(5, message.Usage.OutputTokens);

        var text = new StringBuilder();
        long? input = null, output = null;
        var stopped = false;
        await foreach (var e in client.Messages.CreateStreaming(Request()))
        {
            if (e.TryPickStart(out var start) && start.Message.Usage.InputTokens > 0)
            {
                input = start.Message.Usage.InputTokens + (start.Message.Usage.CacheReadInputTokens ?? 0);
            }
            else if (e.TryPickContentBlockDelta(out var delta) && delta.Delta.TryPickText(out var t))
            {
                text.Append(t.Text);
            }
            else if (e.TryPickDelta(out var end))
            {
                output = end.Usage.OutputTokens;
                // Usage known only at the end (an OpenAI-kind provider's last chunk) comes in message_delta.
                if (end.Usage.InputTokens is > 0 and var known)
                {
                    input = known + (end.Usage.CacheReadInputTokens ?? 0);
                }
            }
            else if (e.TryPickStop(out _))
            {
                stopped = true;
            }
        }
        Assert.Equal(AiClients.Tokens(5), text.ToString());
        Assert.True(stopped, "no message_stop");
        Assert.Equal(5, output);
        Assert.Equal(7, input);
    }

    [Fact]
    public async Task AnthropicSdk_ToolUse_ThroughAnOpenAiProvider_ArgumentsParsed()
    {
        var client = AiClients.Anthropic(fixture.Origin, Key);
        var message = await client.Messages.Create(new MessageCreateParams
        {
            Model = "openai-m+tools",
            MaxTokens = 200,
            Messages = [new UserMessageParam("what is the weather in Paris")],
            Tools = [new Tool { Name = "get_weather", InputSchema = new InputSchema { Properties = new Dictionary<string, System.Text.Json.JsonElement>() } }],
        });
        Assert.True(message.Content[0].TryPickToolUse(out var use));
        Assert.Equal("get_weather", use.Name);
        Assert.Equal("Paris", use.Input["city"].GetString());
    }

    [Theory]
    [InlineData("anthropic", 7)]
    [InlineData("openai", 0)]
    public async Task AnthropicSdk_CountTokens_FromTheProviderOrEstimated(string kind, int exact)
    {
        var client = AiClients.Anthropic(fixture.Origin, Key);
        var count = await client.Messages.CountTokens(new MessageCountTokensParams
        {
            Model = $"{kind}-c",
            System = "You are brief",
            Messages = [new UserMessageParam("hello from the test")],
        });
        if (exact > 0)
        {
            Assert.Equal(exact, count.InputTokens);
        }
        else
        {
            Assert.InRange(count.InputTokens, 4, 64);
        }
    }

    [Fact]
    public async Task OpenAiSdk_ListModels_NamesFromTheModelTable()
    {
        var models = new OpenAIModelClient(new ApiKeyCredential(Key), AiClients.OpenAiOptions(fixture.Origin));
        var list = (await models.GetModelsAsync()).Value;
        Assert.Contains(list, m => m.Id == "fallback");
        Assert.Contains(list, m => m.Id == "broken");
    }

    [Fact]
    public async Task OpenAiSdk_WrongClientKey_Rejected()
    {
        var e = await Assert.ThrowsAsync<ClientResultException>(() =>
            AiClients.Chat(fixture.Origin, "openai-m", "not-a-key").CompleteChatAsync(Prompt()));
        Assert.Equal(401, e.Status);
    }
}
