using System.Text;
using Anthropic.Models.Messages;
using OpenAI.Chat;

namespace FastGate.Functional.Tests.Ai;

/// <summary>
/// The ledger against what the providers counted: every test here leaves the ledger's totals
/// (GET /usage on the admin listener) equal to the mock's (input, output, cached, reasoning
/// tokens), exactly, including streams the client abandoned half-way, which the gateway drains.
/// Each test checks the totals of the whole class so far, so the last one run checks them all.
/// Only traffic whose providers report usage runs here (no estimates, no count_tokens).
/// </summary>
public sealed class AiLedgerTests(AiLedgerFixture fixture) : IClassFixture<AiLedgerFixture>
{
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(30);

    private ChatClient Chat(string model) => AiClients.Chat(fixture.Origin, model, AiGatewayFixture.ClientKey);

    private async Task AssertLedgerEqualsMockAsync()
    {
        var (ledger, mock) = await fixture.SettledTotalsAsync(Settle);
        Assert.True(ledger.Matches(mock), $"ledger {ledger} != mock {mock}");
        Assert.True(mock.Completed > 0);
    }

    [Fact]
    public async Task AbandonedStream_DrainedAndCounted_LedgerEqualsMock()
    {
        var before = await fixture.MockStatsAsync();
        // 200 tokens at 100/s: the client leaves after 3, about 2 s before the provider's end.
        var received = 0;
        await foreach (var update in Chat("openai-m+tokens-200+tps-100+cached-2").CompleteChatStreamingAsync(
            [new UserChatMessage("count to two hundred please")]))
        {
            received += update.ContentUpdate.Count;
            if (received >= 3)
            {
                break;
            }
        }
        var (ledger, mock) = await fixture.SettledTotalsAsync(Settle, m => m.Completed > before.Completed);
        Assert.Equal(before.Completed + 1, mock.Completed);
        Assert.Equal(before.OutputTokens + 200, mock.OutputTokens);
        Assert.True(ledger.Matches(mock), $"ledger {ledger} != mock {mock}");
    }

    [Fact]
    public async Task AbandonedAnthropicStream_DrainedAndCounted_LedgerEqualsMock()
    {
        var before = await fixture.MockStatsAsync();
        var client = AiClients.Anthropic(fixture.Origin, AiGatewayFixture.ClientKey);
        var deltas = 0;
        await foreach (var e in client.Messages.CreateStreaming(new MessageCreateParams
        {
            Model = "anthropic-c+tokens-150+tps-100+cached-3",
            MaxTokens = 1000,
            Messages = [new UserMessageParam("tell me a long story")],
        }))
        {
            if (e.TryPickContentBlockDelta(out _) && ++deltas >= 2)
            {
                break;
            }
        }
        var (ledger, mock) = await fixture.SettledTotalsAsync(Settle, m => m.Completed > before.Completed);
        Assert.Equal(before.OutputTokens + 150, mock.OutputTokens);
        Assert.True(ledger.Matches(mock), $"ledger {ledger} != mock {mock}");
    }

    [Fact]
    public async Task MixedTraffic_EveryKindPlainAndStreamed_LedgerEqualsMock()
    {
        string[] models =
        [
            "openai-m+tokens-7+cached-2+reasoning-3", "azure-m+tokens-5+cached-1", "compat-m+tokens-4",
            "anthropic-c+tokens-6+cached-4", "gemini-g+tokens-9+reasoning-2+cached-1", "ollama-o+tokens-3",
            "openai-m+tools", "anthropic-c+tools", "fallback",
        ];
        ChatMessage[] prompt = [new SystemChatMessage("answer in a few words"), new UserChatMessage("what is the capital of France")];
        var options = new ChatCompletionOptions { Tools = { AiClients.WeatherTool } };
        foreach (var model in models)
        {
            ChatCompletion completion = await Chat(model).CompleteChatAsync(prompt, options);
            Assert.True(completion.Content.Count > 0 || completion.ToolCalls.Count > 0, model);
            var text = new StringBuilder();
            await foreach (var update in Chat(model).CompleteChatStreamingAsync(prompt, options))
            {
                foreach (var part in update.ContentUpdate)
                {
                    text.Append(part.Text);
                }
            }
        }
        var embeddings = AiClients.Embeddings(fixture.Origin, "openai-e", AiGatewayFixture.ClientKey);
        await embeddings.GenerateEmbeddingsAsync(["one two three", "four five"]);
        await AssertLedgerEqualsMockAsync();
    }
}
