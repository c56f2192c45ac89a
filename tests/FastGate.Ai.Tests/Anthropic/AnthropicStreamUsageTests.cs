using System.Buffers;
using System.Text.Json.Nodes;
using FastGate.Ai.Providers;
using FastGate.Ai.Providers.Anthropic;
using FastGate.Ai.Providers.Gemini;
using FastGate.Ai.Providers.OpenAi;
using FastGate.Ai.Tests.OpenAi;
using FastGate.Core.Sse;

namespace FastGate.Ai.Tests.Anthropic;

/// <summary>
/// An Anthropic client streaming from another provider kind: <c>message_start</c> states the input
/// figures the provider has told by then (0 when it tells them only at the end) and
/// <c>message_delta</c> always carries the provider's final figures, input included, which is where
/// the SDKs take a message's usage from.
/// </summary>
public class AnthropicStreamUsageTests
{
    [Fact]
    public void OpenAiProvider_MessageStartSaysZeroAndMessageDeltaHasTheRealInput()
    {
        var events = Translate(new OpenAiAdapter(FastGate.Proxy.Config.ProviderKind.OpenAi).NewStreamDecoder(), OpenAiTestData.Load("chat-usage.sse"));

        var start = Usage(events, "message_start");
        Assert.Equal(0, (long)start["input_tokens"]!);
        Assert.Equal(0, (long)start["output_tokens"]!);
        // prompt_tokens 2006 of which 1920 cached: Anthropic's input_tokens leaves the cache's part out.
        var end = Usage(events, "message_delta");
        Assert.Equal(86, (long)end["input_tokens"]!);
        Assert.Equal(1920, (long)end["cache_read_input_tokens"]!);
        Assert.Equal(0, (long)end["cache_creation_input_tokens"]!);
        Assert.Equal(300, (long)end["output_tokens"]!);
    }

    [Fact]
    public void AnthropicProvider_MessageStartCarriesTheInputTheProviderToldAtItsStart()
    {
        var events = Translate(new AnthropicAdapter().NewStreamDecoder(), AnthropicTestData.Body("cache-usage-stream.sse"));

        var start = Usage(events, "message_start");
        Assert.Equal(12, (long)start["input_tokens"]!);
        Assert.Equal(2000, (long)start["cache_read_input_tokens"]!);
        Assert.Equal(300, (long)start["cache_creation_input_tokens"]!);
        Assert.Equal(12, (long)Usage(events, "message_delta")["input_tokens"]!);
    }

    [Fact]
    public void GeminiProvider_MessageStartCarriesTheFirstEventsPromptCount()
    {
        var events = Translate(new GeminiStreamDecoder(), Gemini.ProviderTestData.Read("gemini/text-stream.sse"));

        Assert.Equal(12, (long)Usage(events, "message_start")["input_tokens"]!);
        Assert.Equal(12, (long)Usage(events, "message_delta")["input_tokens"]!);
        Assert.Equal(3, (long)Usage(events, "message_delta")["output_tokens"]!);
    }

    [Fact]
    public void GeminiProviderWithSeveralCandidates_TheMessageIsCandidateZeroAlone()
    {
        var events = Translate(new GeminiStreamDecoder(), Gemini.ProviderTestData.Read("gemini/candidates-stream.sse"), choices: 2);

        var text = string.Concat(events.Where(e => e.Type == "content_block_delta" && (string?)e.Data["delta"]!["type"] == "text_delta")
            .Select(e => (string)e.Data["delta"]!["text"]!));
        Assert.Equal("Sunny in Paris.", text);
        Assert.Single(events, e => e.Type == "content_block_start" && (string?)e.Data["content_block"]!["type"] == "tool_use");
        Assert.Equal("tool_use", (string?)events.Single(e => e.Type == "message_delta").Data["delta"]!["stop_reason"]);
        Assert.Equal("message_stop", events[^1].Type);
    }

    [Theory]
    [InlineData("openai")]
    [InlineData("anthropic")]
    public void SplitAtEveryByte_TheSameEvents(string provider)
    {
        var body = provider == "openai" ? OpenAiTestData.Load("chat-usage.sse") : AnthropicTestData.Body("cache-usage-stream.sse");
        ProviderStreamDecoder decoder = provider == "openai" ? new OpenAiAdapter(FastGate.Proxy.Config.ProviderKind.OpenAi).NewStreamDecoder() : new AnthropicAdapter().NewStreamDecoder();
        var whole = Normalized(Translate(decoder, body));

        for (var cut = 1; cut < body.Length; cut++)
        {
            Assert.Equal(whole, Normalized(Translate(decoder, body, 0, cut)));
        }
        Assert.Equal(whole, Normalized(Translate(decoder, body, 0, Enumerable.Range(1, body.Length - 1).ToArray())));
    }

    private static JsonNode Usage(List<(string Type, JsonNode Data)> events, string type)
    {
        var data = events.Single(e => e.Type == type).Data;
        return type == "message_start" ? data["message"]!["usage"]! : data["usage"]!;
    }

    private static List<string> Normalized(List<(string Type, JsonNode Data)> events) =>
        events.Select(e => e.Type + " " + e.Data.ToJsonString()).ToList();

    /// <summary>
    /// A provider stream through its decoder into the Anthropic front's encoder, as the AI stage
    /// runs them: each chunk is encoded with the usage the decoder has read so far.
    /// </summary>
    private static List<(string Type, JsonNode Data)> Translate(ProviderStreamDecoder decoder, byte[] body, int choices = 0, params int[] cuts)
    {
        var sink = new EncodingSink();
        decoder.Reset(new RequestFacts { Stream = true, Choices = choices });
        sink.Encoder.Reset(default);
        var reader = new SseEventReader();
        var from = 0;
        foreach (var cut in cuts.Append(body.Length))
        {
            reader.Append(body.AsSpan(from, cut - from));
            from = cut;
            while (reader.TryRead(out var sse))
            {
                if (sse.HasData)
                {
                    Assert.True(decoder.OnEvent(sse.EventType, sse.Data, sink, ref sink.Usage));
                }
            }
        }
        Assert.Equal(1, sink.DoneCount);
        return AnthropicTestData.Events(sink.Output.WrittenSpan);
    }

    private sealed class EncodingSink : IPivotStreamSink
    {
        public readonly FrontStreamEncoder Encoder = new AnthropicMessagesFront().NewStreamEncoder();
        public readonly ArrayBufferWriter<byte> Output = new();
        public TokenUsage Usage;
        public int DoneCount;

        public void Chunk(ReadOnlySpan<byte> pivotChunk, ReadOnlySpan<byte> outputText) => Encoder.Chunk(pivotChunk, Usage, Output);

        public void Done()
        {
            DoneCount++;
            Encoder.Done(Usage, Output);
        }

        public void Error(in AiError error) => Assert.Fail(error.Message);
    }
}
