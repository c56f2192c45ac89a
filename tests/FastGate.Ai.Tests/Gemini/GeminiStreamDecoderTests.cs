using System.Text;
using System.Text.Json;
using FastGate.Ai.Providers.Gemini;

namespace FastGate.Ai.Tests.Gemini;

public class GeminiStreamDecoderTests
{
    public static TheoryData<string> Recordings => new()
    {
        "gemini/text-stream.sse",
        "gemini/function-call-stream.sse",
        "gemini/thoughts-stream.sse",
        "gemini/safety-stream.sse",
        "gemini/prompt-blocked-stream.sse",
        "gemini/error-stream.sse",
    };

    [Fact]
    public void TextStream_Whole_GivesRoleTextFinishAndUsage()
    {
        var feed = SseFeed.Run(new GeminiStreamDecoder(), ProviderTestData.Read("gemini/text-stream.sse"));

        var summary = feed.Sink.Summary();
        Assert.False(feed.Rejected);
        Assert.Equal("assistant", summary.Role);
        Assert.Equal("Hello, café \"world\"!\n", summary.Content.ToString());
        Assert.Equal("stop", summary.FinishReason);
        Assert.Equal("gemini-2.5-flash", summary.Model);
        Assert.Equal(1, summary.UsageChunks);
        Assert.Equal(12, summary.Usage!.Value.GetProperty("prompt_tokens").GetInt64());
        Assert.Equal(3, summary.Usage!.Value.GetProperty("completion_tokens").GetInt64());
        Assert.Equal(15, summary.Usage!.Value.GetProperty("total_tokens").GetInt64());
        Assert.Equal(1, feed.Sink.DoneCount);
        Assert.Empty(feed.Sink.Errors);
        Assert.Equal(new TokenUsageView(12, 3, 0, 0, true), TokenUsageView.Of(feed.Usage));
        // The output text is the JSON string bytes, escapes left in.
        Assert.Equal("Hello, caf\\u00e9 \\\"world\\\"!\\n", feed.Sink.OutputText.ToString());
    }

    [Fact]
    public void TextStream_FirstChunk_IsTheRoleAlone()
    {
        var feed = SseFeed.Run(new GeminiStreamDecoder(), ProviderTestData.Read("gemini/text-stream.sse"));

        using var first = JsonDocument.Parse(feed.Sink.Chunks[0]);
        var delta = first.RootElement.GetProperty("choices")[0].GetProperty("delta");
        Assert.Equal("assistant", delta.GetProperty("role").GetString());
        Assert.Equal("", delta.GetProperty("content").GetString());
        // role, three text deltas, finish, usage
        Assert.Equal(6, feed.Sink.Chunks.Count);
    }

    [Fact]
    public void FunctionCallStream_GivesEachCallWholeWithItsOwnIdAndFinishToolCalls()
    {
        var feed = SseFeed.Run(new GeminiStreamDecoder(), ProviderTestData.Read("gemini/function-call-stream.sse"));

        var summary = feed.Sink.Summary();
        Assert.Equal("Let me check.", summary.Content.ToString());
        Assert.Equal(2, summary.ToolCalls.Count);
        Assert.Equal((0, "get_weather"), (summary.ToolCalls[0].Index, summary.ToolCalls[0].Name));
        Assert.Equal((1, "get_time"), (summary.ToolCalls[1].Index, summary.ToolCalls[1].Name));
        Assert.True(JsonElement.DeepEquals(Json("""{"city":"Paris","units":"celsius"}"""), Json(summary.ToolCalls[0].Arguments)));
        Assert.Equal("{}", summary.ToolCalls[1].Arguments);
        Assert.StartsWith("call_", summary.ToolCalls[0].Id);
        Assert.NotEqual(summary.ToolCalls[0].Id, summary.ToolCalls[1].Id);
        Assert.Equal("tool_calls", summary.FinishReason);
        Assert.Equal(new TokenUsageView(40, 18, 0, 0, true), TokenUsageView.Of(feed.Usage));
        Assert.Equal(1, feed.Sink.DoneCount);
    }

    [Fact]
    public void ThoughtsStream_LeavesThoughtsOutOfTheTextAndCountsThemAsReasoningOutput()
    {
        var feed = SseFeed.Run(new GeminiStreamDecoder(), ProviderTestData.Read("gemini/thoughts-stream.sse"));

        var summary = feed.Sink.Summary();
        Assert.Equal("42", summary.Content.ToString());
        Assert.Equal(new TokenUsageView(30, 25, 4, 20, true), TokenUsageView.Of(feed.Usage));
        var usage = summary.Usage!.Value;
        Assert.Equal(30, usage.GetProperty("prompt_tokens").GetInt64());
        Assert.Equal(25, usage.GetProperty("completion_tokens").GetInt64());
        Assert.Equal(4, usage.GetProperty("prompt_tokens_details").GetProperty("cached_tokens").GetInt64());
        Assert.Equal(20, usage.GetProperty("completion_tokens_details").GetProperty("reasoning_tokens").GetInt64());
    }

    [Fact]
    public void SafetyStream_FinishesAsContentFilter()
    {
        var feed = SseFeed.Run(new GeminiStreamDecoder(), ProviderTestData.Read("gemini/safety-stream.sse"));

        var summary = feed.Sink.Summary();
        Assert.Equal("Here is", summary.Content.ToString());
        Assert.Equal("content_filter", summary.FinishReason);
        Assert.Equal(new TokenUsageView(9, 2, 0, 0, true), TokenUsageView.Of(feed.Usage));
        Assert.Equal(1, feed.Sink.DoneCount);
    }

    [Fact]
    public void PromptBlockedStream_FinishesAsContentFilterWithNoText()
    {
        var feed = SseFeed.Run(new GeminiStreamDecoder(), ProviderTestData.Read("gemini/prompt-blocked-stream.sse"));

        var summary = feed.Sink.Summary();
        Assert.Equal("", summary.Content.ToString());
        Assert.Equal("content_filter", summary.FinishReason);
        Assert.Equal(7, feed.Usage.Input);
        Assert.Equal(1, feed.Sink.DoneCount);
    }

    [Fact]
    public void ErrorStream_ReportsTheErrorAndNeverDone()
    {
        var feed = SseFeed.Run(new GeminiStreamDecoder(), ProviderTestData.Read("gemini/error-stream.sse"));

        Assert.Equal("Partial", feed.Sink.Summary().Content.ToString());
        var error = Assert.Single(feed.Sink.Errors);
        Assert.Equal(503, error.Status);
        Assert.Equal("overloaded_error", error.Type);
        Assert.Contains("overloaded", error.Message);
        Assert.Equal(0, feed.Sink.DoneCount);
        Assert.False(feed.Rejected);
    }

    [Fact]
    public void StreamCutBeforeTheFinishReason_NeverCallsDone()
    {
        var body = ProviderTestData.Read("gemini/text-stream.sse");
        var text = Encoding.UTF8.GetString(body);
        var cut = ProviderTestData.Utf8(text[..text.IndexOf("data: {\"candidates\": [{\"content\": {\"parts\": [{\"text\": \"!", StringComparison.Ordinal)]);

        var feed = SseFeed.Run(new GeminiStreamDecoder(), cut);

        var summary = feed.Sink.Summary();
        Assert.Null(summary.FinishReason);
        Assert.Equal(0, feed.Sink.DoneCount);
        Assert.Empty(feed.Sink.Errors);
        // The figures so far are kept, but only a whole answer's usage is reported: the stage estimates a cut one.
        Assert.Equal(2, feed.Usage.Output);
        Assert.False(feed.Usage.Reported);
    }

    [Fact]
    public void UsageInEveryEvent_TheLastCountsAndIsReportedAtTheFinish()
    {
        var feed = SseFeed.Run(new GeminiStreamDecoder(), ProviderTestData.Utf8(
            "data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"tok\"}]}}],\"usageMetadata\":{\"promptTokenCount\":9,\"totalTokenCount\":9}}\r\n\r\n" +
            "data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"\"}]},\"finishReason\":\"STOP\"}],\"usageMetadata\":{\"promptTokenCount\":9,\"candidatesTokenCount\":1,\"thoughtsTokenCount\":3,\"totalTokenCount\":13}}\r\n\r\n"));

        Assert.Equal(new TokenUsageView(9, 4, 0, 3, true), TokenUsageView.Of(feed.Usage));
        Assert.Equal("tok", feed.Sink.Summary().Content.ToString());
        // role, the one text delta (the empty last text adds none), finish, usage
        Assert.Equal(4, feed.Sink.Chunks.Count);
    }

    [Theory]
    [MemberData(nameof(Recordings))]
    public void Recording_SplitAtEveryByte_GivesTheSameChunksUsageAndEnd(string recording)
    {
        var body = ProviderTestData.Read(recording);
        var whole = SseFeed.Run(new GeminiStreamDecoder(), body);
        Assert.NotEmpty(whole.Sink.Chunks);

        var decoder = new GeminiStreamDecoder();
        for (var cut = 1; cut < body.Length; cut++)
        {
            var split = SseFeed.Run(decoder, body, cut);
            AssertSameStream(whole, split);
        }
        AssertSameStream(whole, SseFeed.RunBytewise(decoder, body));
    }

    [Theory]
    [InlineData("data: not json\n\n")]
    [InlineData("data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"Hel\n\n")]
    [InlineData("data: {\"candidates\":\"x\"}\n\n")]
    [InlineData("data: {\"candidates\":[{\"content\":{\"parts\":{}}}]}\n\n")]
    [InlineData("data: {\"candidates\":[{\"content\":[]}]}\n\n")]
    [InlineData("data: {\"candidates\":[7]}\n\n")]
    [InlineData("data: {\"candidates\":[{\"content\":{\"parts\":[{\"functionCall\":{\"name\":5}}]}}]}\n\n")]
    [InlineData("data: {\"candidates\":[{\"content\":{\"parts\":[{\"functionCall\":{\"name\":\"f\",\"args\":\"{}\"}}]}}]}\n\n")]
    [InlineData("data: {\"usageMetadata\":{\"promptTokenCount\":\"12\"}}\n\n")]
    [InlineData("data: {\"usageMetadata\":{\"promptTokenCount\":-1}}\n\n")]
    [InlineData("data: [1,2]\n\n")]
    [InlineData("data: {\"candidates\":[]} trailing\n\n")]
    public void MalformedEvent_IsRejectedWithoutAnException(string body)
    {
        var feed = SseFeed.Run(new GeminiStreamDecoder(), ProviderTestData.Utf8(body));

        Assert.True(feed.Rejected);
        Assert.Equal(0, feed.Sink.DoneCount);
    }

    [Fact]
    public void EmptyDataAndCommentEvents_AreIgnored()
    {
        var feed = SseFeed.Run(new GeminiStreamDecoder(), ProviderTestData.Utf8(": keep-alive\n\ndata:\n\ndata: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"x\"}]},\"finishReason\":\"STOP\"}]}\n\n"));

        Assert.False(feed.Rejected);
        Assert.Equal("x", feed.Sink.Summary().Content.ToString());
        Assert.Equal(1, feed.Sink.DoneCount);
        // No usageMetadata anywhere: no usage chunk, and the stage estimates.
        Assert.False(feed.Usage.Reported);
        Assert.Equal(0, feed.Sink.Summary().UsageChunks);
    }

    [Fact]
    public void Reset_StartsAFreshStream()
    {
        var decoder = new GeminiStreamDecoder();
        var body = ProviderTestData.Read("gemini/function-call-stream.sse");
        SseFeed.Run(decoder, body);

        var second = SseFeed.Run(decoder, body);

        var summary = second.Sink.Summary();
        Assert.Equal("assistant", summary.Role);
        Assert.Equal(0, summary.ToolCalls[0].Index);
        Assert.Equal(1, second.Sink.DoneCount);
    }

    private static void AssertSameStream(SseFeed expected, SseFeed actual)
    {
        Assert.Equal(expected.Sink.Normalized(), actual.Sink.Normalized());
        Assert.Equal(expected.Sink.OutputText.ToString(), actual.Sink.OutputText.ToString());
        Assert.Equal(TokenUsageView.Of(expected.Usage), TokenUsageView.Of(actual.Usage));
        Assert.Equal(expected.Sink.DoneCount, actual.Sink.DoneCount);
        Assert.Equal(expected.Sink.Errors, actual.Sink.Errors);
        Assert.Equal(expected.Rejected, actual.Rejected);
    }

    private static JsonElement Json(string text) => JsonDocument.Parse(text).RootElement;
}
