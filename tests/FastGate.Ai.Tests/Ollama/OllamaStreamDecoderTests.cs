using System.Text.Json;
using FastGate.Ai.Providers.Ollama;
using FastGate.Ai.Tests.Gemini;

namespace FastGate.Ai.Tests.Ollama;

public class OllamaStreamDecoderTests
{
    public static TheoryData<string> Recordings => new()
    {
        "ollama/text-stream.ndjson",
        "ollama/tool-call-stream.ndjson",
        "ollama/length-stream.ndjson",
        "ollama/error-stream.ndjson",
    };

    [Fact]
    public void TextStream_GivesRoleTextFinishAndTheDoneLineCounts()
    {
        var feed = NdJsonFeed.Run(new OllamaStreamDecoder(), ProviderTestData.Read("ollama/text-stream.ndjson"));

        var summary = feed.Sink.Summary();
        Assert.False(feed.Rejected);
        Assert.Equal("assistant", summary.Role);
        Assert.Equal("The sky is \"blue\" été.\n", summary.Content.ToString());
        Assert.Equal("stop", summary.FinishReason);
        Assert.Equal("llama3.2", summary.Model);
        Assert.Equal(1, summary.UsageChunks);
        Assert.Equal(26, summary.Usage!.Value.GetProperty("prompt_tokens").GetInt64());
        Assert.Equal(4, summary.Usage!.Value.GetProperty("completion_tokens").GetInt64());
        Assert.Equal(30, summary.Usage!.Value.GetProperty("total_tokens").GetInt64());
        Assert.Equal(new TokenUsageView(26, 4, 0, 0, true), TokenUsageView.Of(feed.Usage));
        Assert.Equal(1, feed.Sink.DoneCount);
        Assert.Empty(feed.Sink.Errors);
        // role, three text lines, finish, usage: the empty content of the done line adds no chunk
        Assert.Equal(6, feed.Sink.Chunks.Count);
    }

    [Fact]
    public void ToolCallStream_GivesTheWholeCallAndFinishToolCalls()
    {
        var feed = NdJsonFeed.Run(new OllamaStreamDecoder(), ProviderTestData.Read("ollama/tool-call-stream.ndjson"));

        var summary = feed.Sink.Summary();
        var call = Assert.Single(summary.ToolCalls);
        Assert.Equal(0, call.Index);
        Assert.Equal("get_weather", call.Name);
        Assert.StartsWith("call_", call.Id);
        Assert.True(AdapterCalls.SameJson("""{"city":"Paris"}""", JsonDocument.Parse(call.Arguments).RootElement));
        Assert.Equal("", summary.Content.ToString());
        Assert.Equal("tool_calls", summary.FinishReason);
        Assert.Equal(new TokenUsageView(120, 22, 0, 0, true), TokenUsageView.Of(feed.Usage));
        Assert.Equal(1, feed.Sink.DoneCount);
    }

    [Fact]
    public void LengthStream_FinishesAsLength()
    {
        var feed = NdJsonFeed.Run(new OllamaStreamDecoder(), ProviderTestData.Read("ollama/length-stream.ndjson"));

        Assert.Equal("length", feed.Sink.Summary().FinishReason);
        Assert.Equal(1, feed.Usage.Output);
    }

    [Fact]
    public void ErrorLine_ReportsTheErrorAndNeverDone()
    {
        var feed = NdJsonFeed.Run(new OllamaStreamDecoder(), ProviderTestData.Read("ollama/error-stream.ndjson"));

        Assert.Equal("Hi", feed.Sink.Summary().Content.ToString());
        var error = Assert.Single(feed.Sink.Errors);
        Assert.Equal(502, error.Status);
        Assert.Contains("unexpected EOF", error.Message);
        Assert.Equal(0, feed.Sink.DoneCount);
        Assert.False(feed.Rejected);
    }

    [Fact]
    public void StreamCutBeforeTheDoneLine_NeverCallsDone()
    {
        var body = ProviderTestData.Read("ollama/text-stream.ndjson");
        var lastLine = Array.LastIndexOf(body, (byte)'\n', body.Length - 2) + 1;

        var feed = NdJsonFeed.Run(new OllamaStreamDecoder(), body.AsSpan(0, lastLine));

        Assert.Null(feed.Sink.Summary().FinishReason);
        Assert.Equal(0, feed.Sink.DoneCount);
        Assert.False(feed.Usage.Reported);
    }

    [Theory]
    [MemberData(nameof(Recordings))]
    public void Recording_SplitAtEveryByte_GivesTheSameChunksUsageAndEnd(string recording)
    {
        var body = ProviderTestData.Read(recording);
        var whole = NdJsonFeed.Run(new OllamaStreamDecoder(), body);
        Assert.NotEmpty(whole.Sink.Chunks);

        var decoder = new OllamaStreamDecoder();
        for (var cut = 1; cut < body.Length; cut++)
        {
            AssertSameStream(whole, NdJsonFeed.Run(decoder, body, cut));
        }
        AssertSameStream(whole, NdJsonFeed.RunBytewise(decoder, body));
    }

    [Fact]
    public void DoneLineWithoutCounts_EndsWithoutAUsageChunk()
    {
        var feed = NdJsonFeed.Run(new OllamaStreamDecoder(), """
            {"model":"m","message":{"role":"assistant","content":"x"},"done":false}
            {"model":"m","message":{"role":"assistant","content":""},"done":true,"done_reason":"stop"}

            """u8);

        Assert.Equal(1, feed.Sink.DoneCount);
        Assert.False(feed.Usage.Reported);
        Assert.Equal(0, feed.Sink.Summary().UsageChunks);
    }

    [Theory]
    [InlineData("garbage\n")]
    [InlineData("{\"message\":{\"content\":\"tru\n")]
    [InlineData("{\"message\":\"x\",\"done\":false}\n")]
    [InlineData("{\"message\":{\"content\":5},\"done\":false}\n")]
    [InlineData("{\"message\":{\"content\":\"\",\"tool_calls\":{}},\"done\":false}\n")]
    [InlineData("{\"message\":{\"tool_calls\":[{\"function\":{\"name\":\"f\",\"arguments\":\"{}\"}}]},\"done\":false}\n")]
    [InlineData("{\"done\":\"yes\"}\n")]
    [InlineData("{\"done\":true,\"eval_count\":\"4\"}\n")]
    [InlineData("{\"done\":true} {}\n")]
    [InlineData("[]\n")]
    public void MalformedLine_IsRejectedWithoutAnException(string body)
    {
        var feed = NdJsonFeed.Run(new OllamaStreamDecoder(), ProviderTestData.Utf8(body));

        Assert.True(feed.Rejected);
        Assert.Equal(0, feed.Sink.DoneCount);
    }

    private static void AssertSameStream(NdJsonFeed expected, NdJsonFeed actual)
    {
        Assert.Equal(expected.Sink.Normalized(), actual.Sink.Normalized());
        Assert.Equal(expected.Sink.OutputText.ToString(), actual.Sink.OutputText.ToString());
        Assert.Equal(TokenUsageView.Of(expected.Usage), TokenUsageView.Of(actual.Usage));
        Assert.Equal(expected.Sink.DoneCount, actual.Sink.DoneCount);
        Assert.Equal(expected.Sink.Errors, actual.Sink.Errors);
        Assert.Equal(expected.Rejected, actual.Rejected);
    }
}
