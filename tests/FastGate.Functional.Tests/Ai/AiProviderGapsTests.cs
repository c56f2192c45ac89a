using System.ClientModel.Primitives;
using System.Text;
using System.Text.Json;
using Anthropic;
using Anthropic.Models.Messages;
using OpenAI.Chat;

namespace FastGate.Functional.Tests.Ai;

/// <summary>A gateway and mock of their own, so the ledger totals compared here hold only this class's traffic.</summary>
public sealed class AiProviderGapsFixture : AiGatewayFixture;

/// <summary>
/// The official SDKs through the gateway where the client's protocol asks for more than the
/// provider's gives at once: OpenAI's <c>n</c> on a Gemini provider (its candidates), and an
/// Anthropic stream from an OpenAI provider (whose usage comes only at the end). Each test ends
/// with the ledger's token totals equal to what the mock served.
/// </summary>
public sealed class AiProviderGapsTests(AiProviderGapsFixture fixture) : IClassFixture<AiProviderGapsFixture>
{
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(30);

    private async Task AssertLedgerEqualsMockAsync()
    {
        var (ledger, mock) = await fixture.SettledTotalsAsync(Settle);
        Assert.True(ledger.Matches(mock), $"ledger {ledger} != mock {mock}");
        Assert.True(mock.Completed > 0);
    }

    private static ChatCompletionOptions TwoChoices()
    {
        // The SDK (2.x) keeps n internal; a user reaches it the same way.
        var options = new ChatCompletionOptions();
        typeof(ChatCompletionOptions).GetProperty("N", System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.NonPublic)!
            .SetValue(options, 2);
        return options;
    }

    /// <summary>The SDK's parsed model written back as JSON: the choices it read, all of them (its properties show only the first).</summary>
    private static JsonElement Parsed<T>(T model) where T : IJsonModel<T> =>
        JsonDocument.Parse(ModelReaderWriter.Write(model, new ModelReaderWriterOptions("J"))).RootElement;

    [Fact]
    public async Task OpenAiSdk_NTwoOnGemini_BothChoicesWithTheirTextsAndTheLedgerEqualsTheMock()
    {
        var before = await fixture.MockStatsAsync();
        var chat = AiClients.Chat(fixture.Origin, "gemini-g+tokens-4", AiGatewayFixture.ClientKey);

        ChatCompletion completion = await chat.CompleteChatAsync([new UserChatMessage("two answers please")], TwoChoices());

        Assert.Equal(AiClients.Tokens(4), completion.Content[0].Text);
        var choices = Parsed(completion).GetProperty("choices");
        Assert.Equal(2, choices.GetArrayLength());
        Assert.Equal(0, choices[0].GetProperty("index").GetInt32());
        Assert.Equal(1, choices[1].GetProperty("index").GetInt32());
        Assert.Equal(AiClients.Tokens(4), choices[0].GetProperty("message").GetProperty("content").GetString());
        Assert.Equal("tok1 tok1 tok1 tok1", choices[1].GetProperty("message").GetProperty("content").GetString());
        Assert.All(choices.EnumerateArray(), c => Assert.Equal("stop", c.GetProperty("finish_reason").GetString()));
        // One usage for both: the mock served 4 output tokens per candidate.
        Assert.Equal(8, completion.Usage.OutputTokenCount);

        var mock = await fixture.MockStatsAsync();
        Assert.Equal(before.OutputTokens + 8, mock.OutputTokens);
        await AssertLedgerEqualsMockAsync();
    }

    [Fact]
    public async Task OpenAiSdk_NTwoOnGeminiStreamed_EachChoiceItsTextAndFinishAndTheLedgerEqualsTheMock()
    {
        var before = await fixture.MockStatsAsync();
        var chat = AiClients.Chat(fixture.Origin, "gemini-g+tokens-5", AiGatewayFixture.ClientKey);
        var options = TwoChoices();
        var texts = new Dictionary<int, StringBuilder>();
        var finishes = new Dictionary<int, string>();
        ChatTokenUsage? usage = null;

        await foreach (var update in chat.CompleteChatStreamingAsync([new UserChatMessage("two answers please")], options))
        {
            usage ??= update.Usage;
            var chunk = Parsed(update).GetProperty("choices");
            if (chunk.GetArrayLength() == 0)
            {
                continue;
            }
            var index = chunk[0].GetProperty("index").GetInt32();
            var text = texts.TryGetValue(index, out var existing) ? existing : texts[index] = new StringBuilder();
            foreach (var part in update.ContentUpdate)
            {
                text.Append(part.Text);
            }
            if (update.FinishReason is { } finish)
            {
                Assert.True(finishes.TryAdd(index, finish.ToString()), $"choice {index} finished twice");
            }
        }

        Assert.Equal([0, 1], texts.Keys.Order());
        Assert.Equal(AiClients.Tokens(5), texts[0].ToString());
        Assert.Equal("tok1 tok1 tok1 tok1 tok1", texts[1].ToString());
        Assert.Equal(2, finishes.Count);
        Assert.NotNull(usage);
        Assert.Equal(10, usage.OutputTokenCount);

        var mock = await fixture.MockStatsAsync();
        Assert.Equal(before.OutputTokens + 10, mock.OutputTokens);
        await AssertLedgerEqualsMockAsync();
    }

    [Fact]
    public async Task AnthropicSdk_StreamFromOpenAiProvider_TheFinalMessageHasTheRealInputTokens()
    {
        var before = await fixture.MockStatsAsync();
        var client = AiClients.Anthropic(fixture.Origin, AiGatewayFixture.ClientKey);

        // The SDK's own accumulation of the stream into the final message.
        Message message = await client.Messages.CreateStreaming(new MessageCreateParams
        {
            Model = "openai-m+tokens-6+cached-2",
            MaxTokens = 100,
            Messages = [new UserMessageParam("one two three four five")],
        }).Aggregate();

        var mock = await fixture.MockStatsAsync();
        var input = mock.InputTokens - before.InputTokens;
        Assert.True(input > 2, $"the mock counted {input} input tokens");
        Assert.True(message.Content[0].TryPickText(out var text));
        Assert.Equal(AiClients.Tokens(6), text.Text);
        // Anthropic's input_tokens leaves the cache reads out; together they are the provider's prompt count.
        Assert.Equal(input - 2, message.Usage.InputTokens);
        Assert.Equal(2L, message.Usage.CacheReadInputTokens);
        Assert.Equal(6, message.Usage.OutputTokens);
        await AssertLedgerEqualsMockAsync();
    }

    [Fact]
    public async Task AnthropicSdk_StreamFromOpenAiProvider_MessageStartSaysZeroAndMessageDeltaTheInput()
    {
        var before = await fixture.MockStatsAsync();
        var client = AiClients.Anthropic(fixture.Origin, AiGatewayFixture.ClientKey);
        long? startInput = null, deltaInput = null;

        await foreach (var e in client.Messages.CreateStreaming(new MessageCreateParams
        {
            Model = "openai-m+tokens-3",
            MaxTokens = 100,
            Messages = [new UserMessageParam("one two three")],
        }))
        {
            if (e.TryPickStart(out var start))
            {
                startInput = start.Message.Usage.InputTokens;
            }
            else if (e.TryPickDelta(out var delta))
            {
                deltaInput = delta.Usage.InputTokens;
            }
        }

        var mock = await fixture.MockStatsAsync();
        // An OpenAI provider tells its usage only at the end: the start has no figure yet.
        Assert.Equal(0L, startInput);
        Assert.Equal(mock.InputTokens - before.InputTokens, deltaInput);
        await AssertLedgerEqualsMockAsync();
    }

    [Fact]
    public async Task AnthropicSdk_StreamFromGeminiProvider_MessageStartHasTheInputAlready()
    {
        var before = await fixture.MockStatsAsync();
        var client = AiClients.Anthropic(fixture.Origin, AiGatewayFixture.ClientKey);
        long? startInput = null;
        var text = new StringBuilder();

        await foreach (var e in client.Messages.CreateStreaming(new MessageCreateParams
        {
            Model = "gemini-g+tokens-3",
            MaxTokens = 100,
            Messages = [new UserMessageParam("one two three four")],
        }))
        {
            if (e.TryPickStart(out var start))
            {
                startInput = start.Message.Usage.InputTokens;
            }
            else if (e.TryPickContentBlockDelta(out var delta) && delta.Delta.TryPickText(out var t))
            {
                text.Append(t.Text);
            }
        }

        var mock = await fixture.MockStatsAsync();
        Assert.Equal(AiClients.Tokens(3), text.ToString());
        Assert.Equal(mock.InputTokens - before.InputTokens, startInput);
        await AssertLedgerEqualsMockAsync();
    }
}
