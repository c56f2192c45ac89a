using System.Text;
using System.Text.Json;
using OpenAI.Chat;

namespace FastGate.Functional.Tests.Ai;

/// <summary>
/// A provider that reports no usage on a stream passed through to an OpenAI client: the ledger
/// gets a tokenizer's count of the text the client was sent, marked estimated. A short stream is
/// counted from the chunks the gateway kept unread; a long one also from chunks read as they
/// passed once that store was full.
/// </summary>
public sealed class AiEstimateTests(AiEstimateFixture fixture) : IClassFixture<AiEstimateFixture>
{
    [Theory]
    [InlineData(12)]
    [InlineData(600)]
    public async Task StreamWithoutUsage_EstimatedFromTheTextSent(int tokens)
    {
        var before = await EstimatedTotalsAsync();
        var text = new StringBuilder();
        var chat = AiClients.Chat(fixture.Origin, $"openai-m+tokens-{tokens}+nousage", AiGatewayFixture.ClientKey);
        await foreach (var update in chat.CompleteChatStreamingAsync([new UserChatMessage("say tok a few times")]))
        {
            foreach (var part in update.ContentUpdate)
            {
                text.Append(part.Text);
            }
        }
        Assert.Equal(tokens, text.ToString().Split(' ', StringSplitOptions.RemoveEmptyEntries).Length);

        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        var after = await EstimatedTotalsAsync();
        while (after.Requests == before.Requests && DateTime.UtcNow < deadline)
        {
            await Task.Delay(200);
            after = await EstimatedTotalsAsync();
        }
        Assert.Equal(before.Requests + 1, after.Requests);
        // "tok" and " tok" are one token each in the tokenizers FastGate uses; allow for a split.
        var output = after.Output - before.Output;
        Assert.InRange(output, tokens, 2 * tokens);
        Assert.True(after.Input > before.Input);
    }

    private async Task<(long Requests, long Input, long Output)> EstimatedTotalsAsync()
    {
        using var response = await fixture.Gateway.Admin.GetAsync("/usage?group_by=");
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"GET /usage: {(int)response.StatusCode} {body}");
        using var doc = JsonDocument.Parse(body);
        var totals = doc.RootElement.GetProperty("totals");
        return (totals.GetProperty("estimated_requests").GetInt64(), totals.GetProperty("input_tokens").GetInt64(), totals.GetProperty("output_tokens").GetInt64());
    }
}

/// <summary>A gateway and mock of its own, so no other test's records mix into the totals.</summary>
public sealed class AiEstimateFixture : AiGatewayFixture;
