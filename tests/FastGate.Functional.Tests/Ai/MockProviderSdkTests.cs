using System.ClientModel;
using System.Text;
using Anthropic.Models.Messages;
using FastGate.Functional.Tests.Infrastructure;
using OpenAI.Chat;

namespace FastGate.Functional.Tests.Ai;

public sealed class MockProviderFixture : IAsyncLifetime
{
    private MockUpstreamProcess? _mock;

    public MockUpstreamProcess Mock => _mock!;
    public Uri Origin => new($"http://{Mock.Address}");

    public async Task InitializeAsync() => _mock = await MockUpstreamProcess.StartAsync("ai-direct");

    public async Task DisposeAsync()
    {
        if (_mock is not null)
        {
            await _mock.DisposeAsync();
        }
    }
}

/// <summary>
/// The official SDKs straight against the mock providers, no gateway: the mock's OpenAI and
/// Anthropic shapes are what the SDKs parse, so a failure through the gateway is the gateway's.
/// </summary>
public sealed class MockProviderSdkTests(MockProviderFixture fixture) : IClassFixture<MockProviderFixture>
{
    private const string Key = "sk-mock-direct";

    [Fact]
    public async Task OpenAiChat_Plain_TextAndUsageParsed()
    {
        var chat = AiClients.Chat(fixture.Origin, "m+tokens-5+cached-1+reasoning-2", Key);
        ChatCompletion completion = await chat.CompleteChatAsync([new SystemChatMessage("be brief"), new UserChatMessage("hello there world")]);
        Assert.Equal(AiClients.Tokens(5), completion.Content[0].Text);
        Assert.Equal(ChatFinishReason.Stop, completion.FinishReason);
        Assert.Equal(5, completion.Usage.InputTokenCount);
        Assert.Equal(7, completion.Usage.OutputTokenCount);
        Assert.Equal(1, completion.Usage.InputTokenDetails.CachedTokenCount);
        Assert.Equal(2, completion.Usage.OutputTokenDetails.ReasoningTokenCount);
    }

    [Fact]
    public async Task OpenAiChat_Streamed_EveryTokenAndTheUsageChunk()
    {
        var chat = AiClients.Chat(fixture.Origin, "m+tokens-12", Key);
        var text = new StringBuilder();
        ChatTokenUsage? usage = null;
        var updates = 0;
        await foreach (var update in chat.CompleteChatStreamingAsync([new UserChatMessage("one two three")]))
        {
            updates++;
            foreach (var part in update.ContentUpdate)
            {
                text.Append(part.Text);
            }
            usage ??= update.Usage;
        }
        Assert.Equal(AiClients.Tokens(12), text.ToString());
        Assert.True(updates >= 12, $"{updates} updates");
        Assert.NotNull(usage);
        Assert.Equal(3, usage.InputTokenCount);
        Assert.Equal(12, usage.OutputTokenCount);
    }

    [Fact]
    public async Task OpenAiChat_ToolCall_PlainAndStreamed_ArgumentsParsed()
    {
        var chat = AiClients.Chat(fixture.Origin, "m+tools", Key);
        var options = new ChatCompletionOptions { Tools = { AiClients.WeatherTool } };
        ChatCompletion completion = await chat.CompleteChatAsync([new UserChatMessage("weather in Paris?")], options);
        Assert.Equal(ChatFinishReason.ToolCalls, completion.FinishReason);
        var call = Assert.Single(completion.ToolCalls);
        Assert.Equal("get_weather", call.FunctionName);
        Assert.Equal("Paris", call.FunctionArguments.ToObjectFromJson<Dictionary<string, string>>()!["city"]);

        var name = "";
        var arguments = new StringBuilder();
        ChatFinishReason? finish = null;
        await foreach (var update in chat.CompleteChatStreamingAsync([new UserChatMessage("weather in Paris?")], options))
        {
            foreach (var piece in update.ToolCallUpdates)
            {
                name += piece.FunctionName;
                arguments.Append(piece.FunctionArgumentsUpdate?.ToString());
            }
            finish ??= update.FinishReason;
        }
        Assert.Equal("get_weather", name);
        Assert.Equal("""{"city":"Paris"}""", arguments.ToString());
        Assert.Equal(ChatFinishReason.ToolCalls, finish);
    }

    [Fact]
    public async Task OpenAiEmbeddings_Base64AsTheSdkAsks_VectorsAndUsage()
    {
        var client = AiClients.Embeddings(fixture.Origin, "e", Key);
        var result = (await client.GenerateEmbeddingsAsync(["alpha beta", "gamma"])).Value;
        Assert.Equal(2, result.Count);
        Assert.Equal(8, result[0].ToFloats().Length);
        Assert.Equal(3, result.Usage.InputTokenCount);
    }

    [Fact]
    public async Task OpenAiChat_Injected429_SdkRaisesWithStatusAndMessage()
    {
        var chat = AiClients.Chat(fixture.Origin, "m+fail-429", Key);
        var e = await Assert.ThrowsAsync<ClientResultException>(() => chat.CompleteChatAsync([new UserChatMessage("hi")]));
        Assert.Equal(429, e.Status);
        Assert.Contains("injected 429", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task OpenAiChat_StreamCutHalfWay_SdkRaises()
    {
        var chat = AiClients.Chat(fixture.Origin, "m+tokens-40+cut", Key);
        var text = new StringBuilder();
        var e = await Record.ExceptionAsync(async () =>
        {
            await foreach (var update in chat.CompleteChatStreamingAsync([new UserChatMessage("hi")]))
            {
                foreach (var part in update.ContentUpdate)
                {
                    text.Append(part.Text);
                }
            }
        });
        Assert.True(e is not null, "a stream cut half-way ended as if it were complete");
        Assert.True(text.ToString() == AiClients.Tokens(20), $"got '{text}' then {e}");
    }

    [Fact]
    public async Task AnthropicMessages_Plain_TextAndUsageWithCacheReads()
    {
        var client = AiClients.Anthropic(fixture.Origin, Key);
        var message = await client.Messages.Create(new MessageCreateParams
        {
            Model = "c+tokens-4+cached-2",
            MaxTokens = 100,
            System = "be brief",
            Messages = [new UserMessageParam("hello there world")],
        });
        Assert.True(message.Content[0].TryPickText(out var text));
        Assert.Equal(AiClients.Tokens(4), text.Text);
        Assert.Equal(3, message.Usage.InputTokens);
        Assert.Equal(2, message.Usage.CacheReadInputTokens);
        Assert.Equal(4, message.Usage.OutputTokens);
    }

    [Fact]
    public async Task AnthropicMessages_Streamed_TextToolAndUsage()
    {
        var client = AiClients.Anthropic(fixture.Origin, Key);
        var text = new StringBuilder();
        long? input = null, output = null;
        await foreach (var e in client.Messages.CreateStreaming(new MessageCreateParams
        {
            Model = "c+tokens-9",
            MaxTokens = 100,
            Messages = [new UserMessageParam("hello there")],
        }))
        {
            if (e.TryPickStart(out var start))
            {
                input = start.Message.Usage.InputTokens;
            }
            else if (e.TryPickContentBlockDelta(out var delta) && delta.Delta.TryPickText(out var t))
            {
                text.Append(t.Text);
            }
            else if (e.TryPickDelta(out var end))
            {
                output = end.Usage.OutputTokens;
            }
        }
        Assert.Equal(AiClients.Tokens(9), text.ToString());
        Assert.Equal(2, input);
        Assert.Equal(9, output);

        var json = new StringBuilder();
        await foreach (var e in client.Messages.CreateStreaming(new MessageCreateParams
        {
            Model = "c+tools",
            MaxTokens = 100,
            Messages = [new UserMessageParam("weather?")],
        }))
        {
            if (e.TryPickContentBlockDelta(out var delta) && delta.Delta.TryPickInputJson(out var piece))
            {
                json.Append(piece.PartialJson);
            }
        }
        Assert.Equal("""{"city":"Paris"}""", json.ToString());
    }

    [Fact]
    public async Task AnthropicCountTokens_CountsPromptWords()
    {
        var client = AiClients.Anthropic(fixture.Origin, Key);
        var count = await client.Messages.CountTokens(new MessageCountTokensParams
        {
            Model = "c",
            System = "be brief",
            Messages = [new UserMessageParam("one two three")],
        });
        Assert.Equal(5, count.InputTokens);
    }
}
