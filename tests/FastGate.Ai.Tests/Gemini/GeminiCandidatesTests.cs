using System.Text;
using System.Text.Json;
using FastGate.Ai.Providers;
using FastGate.Ai.Providers.Gemini;
using FastGate.Core.Sse;

namespace FastGate.Ai.Tests.Gemini;

/// <summary>
/// OpenAI's <c>n</c> on a Gemini provider: asked as <c>candidateCount</c>, every candidate comes
/// back as its own choice, whole or streamed, with one usage for all of them.
/// </summary>
public class GeminiCandidatesTests
{
    private readonly GeminiAdapter _adapter = new();

    [Theory]
    [InlineData(2, 2)]
    [InlineData(1, 1)]
    public void Request_N_BecomesCandidateCount(int n, int expected)
    {
        var body = AdapterCalls.Request(_adapter, ClientApi.OpenAiChat, $$"""{"model":"g","n":{{n}},"messages":[{"role":"user","content":"hi"}]}""");

        Assert.Equal(expected, body.GetProperty("generationConfig").GetProperty("candidateCount").GetInt32());
    }

    [Fact]
    public void Request_WithoutN_AsksForNoCandidateCount()
    {
        var body = AdapterCalls.Request(_adapter, ClientApi.OpenAiChat, """{"model":"g","temperature":0.5,"messages":[{"role":"user","content":"hi"}]}""");

        Assert.False(body.GetProperty("generationConfig").TryGetProperty("candidateCount", out _));
    }

    [Fact]
    public void Response_ThreeCandidates_AreThreeChoicesWithTheirOwnTextCallsAndFinish()
    {
        var (pivot, usage) = AdapterCalls.Response(_adapter, ClientApi.OpenAiChat, ProviderTestData.Read("gemini/candidates-response.json"));

        var choices = pivot.GetProperty("choices");
        Assert.Equal(3, choices.GetArrayLength());
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(i, choices[i].GetProperty("index").GetInt32());
            Assert.Equal("assistant", choices[i].GetProperty("message").GetProperty("role").GetString());
        }
        Assert.Equal("Sunny in Paris.", choices[0].GetProperty("message").GetProperty("content").GetString());
        Assert.Equal("stop", choices[0].GetProperty("finish_reason").GetString());
        Assert.False(choices[0].GetProperty("message").TryGetProperty("tool_calls", out _));

        var second = choices[1].GetProperty("message");
        Assert.Equal("Checking.", second.GetProperty("content").GetString());
        var call = Assert.Single(second.GetProperty("tool_calls").EnumerateArray());
        Assert.Equal("get_weather", call.GetProperty("function").GetProperty("name").GetString());
        Assert.True(AdapterCalls.SameJson("""{"city":"Paris"}""", JsonDocument.Parse(call.GetProperty("function").GetProperty("arguments").GetString()!).RootElement));
        Assert.StartsWith("call_", call.GetProperty("id").GetString());
        Assert.Equal("tool_calls", choices[1].GetProperty("finish_reason").GetString());

        Assert.Equal("It is", choices[2].GetProperty("message").GetProperty("content").GetString());
        Assert.Equal("length", choices[2].GetProperty("finish_reason").GetString());

        // One usage for every candidate, written once.
        Assert.Equal(new TokenUsageView(11, 14, 0, 0, true), TokenUsageView.Of(usage));
        Assert.Equal(11, pivot.GetProperty("usage").GetProperty("prompt_tokens").GetInt64());
        Assert.Equal(14, pivot.GetProperty("usage").GetProperty("completion_tokens").GetInt64());
    }

    [Fact]
    public void Response_ToolCallIds_AreUniqueAcrossCandidates()
    {
        var body = ProviderTestData.Utf8("""
            {"candidates":[
              {"content":{"parts":[{"functionCall":{"name":"f","args":{}}}]},"finishReason":"STOP","index":0},
              {"content":{"parts":[{"functionCall":{"name":"f","args":{}}}]},"finishReason":"STOP","index":1}]}
            """);

        var (pivot, _) = AdapterCalls.Response(_adapter, ClientApi.OpenAiChat, body);

        var choices = pivot.GetProperty("choices");
        var first = choices[0].GetProperty("message").GetProperty("tool_calls")[0].GetProperty("id").GetString();
        var second = choices[1].GetProperty("message").GetProperty("tool_calls")[0].GetProperty("id").GetString();
        Assert.NotEqual(first, second);
    }

    [Theory]
    [InlineData("""{"candidates":[{"index":8,"content":{"parts":[{"text":"x"}]}}]}""")]
    [InlineData("""{"candidates":[{"index":-1,"content":{"parts":[{"text":"x"}]}}]}""")]
    [InlineData("""{"candidates":[{"index":"1","content":{"parts":[{"text":"x"}]}}]}""")]
    public void Response_CandidateIndexOutOfRange_Is502(string body)
    {
        var error = AdapterCalls.FailedResponse(_adapter, ClientApi.OpenAiChat, ProviderTestData.Utf8(body));

        Assert.Equal(502, error.Status);
    }

    [Fact]
    public void Stream_TwoCandidates_EachChoiceGetsItsTextCallsAndFinishThenOneUsageAndDone()
    {
        var feed = ChoicesFeed.Run(ProviderTestData.Read("gemini/candidates-stream.sse"), choices: 2);

        Assert.False(feed.Rejected);
        var streams = feed.Choices();
        Assert.Equal([0, 1], streams.Keys.Order());
        Assert.Equal("assistant", streams[0].Role);
        Assert.Equal("assistant", streams[1].Role);
        Assert.Equal("Sunny in Paris.", streams[0].Content.ToString());
        Assert.Equal("It is rainy", streams[1].Content.ToString());
        Assert.Equal("tool_calls", streams[0].FinishReason);
        Assert.Equal("length", streams[1].FinishReason);
        var call = Assert.Single(streams[0].ToolCalls);
        Assert.Equal((0, "get_weather"), (call.Index, call.Name));
        Assert.Empty(streams[1].ToolCalls);

        // Usage once, after both finished, from the last usageMetadata (it covers both candidates).
        Assert.Equal(1, feed.UsageChunks);
        Assert.Contains("\"usage\"", feed.Sink.Chunks[^1]);
        Assert.Equal(new TokenUsageView(11, 11, 0, 2, true), TokenUsageView.Of(feed.Usage));
        Assert.Equal(1, feed.Sink.DoneCount);
    }

    [Fact]
    public void Stream_TwoCandidates_RoleChunksOfBothComeFirst()
    {
        var feed = ChoicesFeed.Run(ProviderTestData.Read("gemini/candidates-stream.sse"), choices: 2);

        Assert.Equal((0, "assistant"), RoleOf(feed.Sink.Chunks[0]));
        Assert.Equal((1, "assistant"), RoleOf(feed.Sink.Chunks[1]));
    }

    [Fact]
    public void Stream_OneCandidateFinished_TheStreamWaitsForTheOther()
    {
        var body = Encoding.UTF8.GetString(ProviderTestData.Read("gemini/candidates-stream.sse"));
        var cut = ProviderTestData.Utf8(body[..body.LastIndexOf("data: ", StringComparison.Ordinal)]);

        var feed = ChoicesFeed.Run(cut, choices: 2);

        var streams = feed.Choices();
        Assert.Equal("length", streams[1].FinishReason);
        Assert.Null(streams[0].FinishReason);
        Assert.Equal(0, feed.Sink.DoneCount);
        Assert.Equal(0, feed.UsageChunks);
        Assert.False(feed.Usage.Reported);
    }

    [Fact]
    public void Stream_NotAskedForSeveral_ACandidateBeyondTheFirstIsStillAChoiceAndAwaited()
    {
        // A client that did not send n (an Anthropic front) gets candidate 0 as choice 0; should Gemini send more, the stream still ends after all of them.
        var feed = ChoicesFeed.Run(ProviderTestData.Read("gemini/candidates-stream.sse"), choices: 0);

        Assert.Equal(1, feed.Sink.DoneCount);
        Assert.Equal("Sunny in Paris.", feed.Choices()[0].Content.ToString());
    }

    [Fact]
    public void Stream_PromptBlocked_EveryChoiceEndsFiltered()
    {
        var feed = ChoicesFeed.Run(ProviderTestData.Utf8("data: {\"promptFeedback\":{\"blockReason\":\"SAFETY\"},\"usageMetadata\":{\"promptTokenCount\":7,\"totalTokenCount\":7}}\n\n"), choices: 2);

        var streams = feed.Choices();
        Assert.Equal("content_filter", streams[0].FinishReason);
        Assert.Equal("content_filter", streams[1].FinishReason);
        Assert.Equal(1, feed.Sink.DoneCount);
        Assert.Equal(7, feed.Usage.Input);
    }

    [Fact]
    public void Stream_CandidateIndexOutOfRange_IsRejected()
    {
        var feed = ChoicesFeed.Run(ProviderTestData.Utf8("data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"x\"}]},\"index\":8}]}\n\n"), choices: 2);

        Assert.True(feed.Rejected);
        Assert.Equal(0, feed.Sink.DoneCount);
    }

    [Fact]
    public void Stream_SplitAtEveryByte_GivesTheSameChunksUsageAndEnd()
    {
        var body = ProviderTestData.Read("gemini/candidates-stream.sse");
        var whole = ChoicesFeed.Run(body, choices: 2);
        var decoder = new GeminiStreamDecoder();
        for (var cut = 1; cut < body.Length; cut++)
        {
            AssertSame(whole, ChoicesFeed.Run(body, choices: 2, decoder, cut));
        }
        AssertSame(whole, ChoicesFeed.Run(body, choices: 2, decoder, Enumerable.Range(1, body.Length - 1).ToArray()));
    }

    [Fact]
    public void Stream_OneCandidate_ChunksAreThoseOfASingleChoiceStream()
    {
        // n = 1 asked explicitly gives the same stream as no n at all.
        var body = ProviderTestData.Read("gemini/function-call-stream.sse");

        Assert.Equal(ChoicesFeed.Run(body, choices: 0).Sink.Normalized(), ChoicesFeed.Run(body, choices: 1).Sink.Normalized());
    }

    [Fact]
    public void Stream_TwoCandidates_WarmDecoderAllocatesNothingPerEvent()
    {
        var events = new List<byte[]>();
        var reader = new SseEventReader();
        reader.Append(ProviderTestData.Read("gemini/candidates-stream.sse"));
        while (reader.TryRead(out var sseEvent))
        {
            events.Add(sseEvent.Data.ToArray());
        }
        var decoder = new GeminiStreamDecoder();
        var sink = new CountingSink();
        void Run()
        {
            var usage = new TokenUsage();
            decoder.Reset(new RequestFacts { Stream = true, Choices = 2 });
            foreach (var data in events)
            {
                Assert.True(decoder.OnEvent(default, data, sink, ref usage));
            }
        }
        Run();
        Run();

        var before = GC.GetAllocatedBytesForCurrentThread();
        Run();
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(0, allocated);
        Assert.Equal(3, sink.Done);
    }

    private sealed class CountingSink : IPivotStreamSink
    {
        public int Done;

        public void Chunk(ReadOnlySpan<byte> pivotChunk, ReadOnlySpan<byte> outputText)
        {
        }

        void IPivotStreamSink.Done() => Done++;

        public void Error(in AiError error) => Assert.Fail(error.Message);
    }

    private static (int Index, string? Role) RoleOf(string chunk)
    {
        var choice = JsonDocument.Parse(chunk).RootElement.GetProperty("choices")[0];
        return (choice.GetProperty("index").GetInt32(), choice.GetProperty("delta").GetProperty("role").GetString());
    }

    private static void AssertSame(ChoicesFeed expected, ChoicesFeed actual)
    {
        Assert.Equal(expected.Sink.Normalized(), actual.Sink.Normalized());
        Assert.Equal(expected.Sink.OutputText.ToString(), actual.Sink.OutputText.ToString());
        Assert.Equal(TokenUsageView.Of(expected.Usage), TokenUsageView.Of(actual.Usage));
        Assert.Equal(expected.Sink.DoneCount, actual.Sink.DoneCount);
        Assert.Equal(expected.Rejected, actual.Rejected);
    }

    /// <summary>An SSE body fed to a decoder reset for <c>n</c> choices, cut where the test says.</summary>
    private sealed class ChoicesFeed
    {
        public RecordingSink Sink { get; } = new();
        public TokenUsage Usage;
        public bool Rejected;

        public int UsageChunks => Sink.Chunks.Count(c => JsonDocument.Parse(c).RootElement.TryGetProperty("usage", out _));

        public static ChoicesFeed Run(ReadOnlySpan<byte> body, int choices, GeminiStreamDecoder? decoder = null, params int[] cuts)
        {
            decoder ??= new GeminiStreamDecoder();
            var feed = new ChoicesFeed();
            decoder.Reset(new RequestFacts { Stream = true, Choices = choices });
            var reader = new SseEventReader();
            var start = 0;
            foreach (var cut in cuts.Append(body.Length))
            {
                reader.Append(body[start..cut]);
                start = cut;
                while (!feed.Rejected && reader.TryRead(out var sseEvent))
                {
                    if (sseEvent.HasData && !decoder.OnEvent(sseEvent.EventType, sseEvent.Data, feed.Sink, ref feed.Usage))
                    {
                        feed.Rejected = true;
                    }
                }
            }
            return feed;
        }

        /// <summary>What an OpenAI client rebuilds per choice index: every chunk has one choice, usage chunks none.</summary>
        public Dictionary<int, ChoiceStream> Choices()
        {
            var streams = new Dictionary<int, ChoiceStream>();
            foreach (var chunk in Sink.Chunks)
            {
                var root = JsonDocument.Parse(chunk).RootElement;
                var choices = root.GetProperty("choices");
                if (root.TryGetProperty("usage", out _))
                {
                    Assert.Equal(0, choices.GetArrayLength());
                    continue;
                }
                var choice = Assert.Single(choices.EnumerateArray());
                var index = choice.GetProperty("index").GetInt32();
                if (!streams.TryGetValue(index, out var stream))
                {
                    streams[index] = stream = new ChoiceStream();
                }
                Assert.Null(stream.FinishReason); // nothing after a choice's finish
                var delta = choice.GetProperty("delta");
                if (delta.TryGetProperty("role", out var role))
                {
                    stream.Role = role.GetString();
                }
                if (delta.TryGetProperty("content", out var content) && content.ValueKind == JsonValueKind.String)
                {
                    stream.Content.Append(content.GetString());
                }
                if (delta.TryGetProperty("tool_calls", out var calls))
                {
                    foreach (var call in calls.EnumerateArray())
                    {
                        stream.ToolCalls.Add((call.GetProperty("index").GetInt32(), call.GetProperty("function").GetProperty("name").GetString()!));
                    }
                }
                if (choice.GetProperty("finish_reason").ValueKind == JsonValueKind.String)
                {
                    stream.FinishReason = choice.GetProperty("finish_reason").GetString();
                }
            }
            return streams;
        }
    }

    private sealed class ChoiceStream
    {
        public string? Role;
        public StringBuilder Content { get; } = new();
        public List<(int Index, string Name)> ToolCalls { get; } = [];
        public string? FinishReason;
    }
}
