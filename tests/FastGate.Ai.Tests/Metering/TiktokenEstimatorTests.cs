using System.Text;
using FastGate.Ai.Metering;

namespace FastGate.Ai.Tests.Metering;

public sealed class TiktokenEstimatorTests
{
    private readonly TiktokenEstimator _estimator = new();

    // Counts as OpenAI's tiktoken gives them (its cookbook: "tiktoken is great!" is 6 tokens in both encodings).
    [Theory]
    [InlineData("hello world", "gpt-4o", 2)]
    [InlineData("hello world", "gpt-4", 2)]
    [InlineData("tiktoken is great!", "gpt-4o-mini", 6)]
    [InlineData("tiktoken is great!", "gpt-3.5-turbo", 6)]
    [InlineData("You are a helpful assistant.", "o3-mini", 6)]
    [InlineData("", "gpt-4o", 0)]
    public void CountText_KnownStrings_TiktokenCounts(string text, string model, long tokens)
    {
        Assert.Equal(tokens, _estimator.CountText(Encoding.UTF8.GetBytes(text), model));
    }

    [Theory]
    [InlineData("gpt-4o", "o200k_base")]
    [InlineData("gpt-4o-mini-2024-07-18", "o200k_base")]
    [InlineData("gpt-4.1-nano", "o200k_base")]
    [InlineData("o1-preview", "o200k_base")]
    [InlineData("o4-mini", "o200k_base")]
    [InlineData("claude-sonnet-4", "o200k_base")]
    [InlineData("m+tokens-20", "o200k_base")]
    [InlineData("gpt-4", "cl100k_base")]
    [InlineData("gpt-4-turbo", "cl100k_base")]
    [InlineData("gpt-3.5-turbo", "cl100k_base")]
    [InlineData("openai/gpt-4-0613", "cl100k_base")]
    public void EncodingName_ByModel(string model, string encoding)
    {
        Assert.Equal(encoding, TiktokenEstimator.EncodingName(model));
    }

    [Fact]
    public void CountText_JsonEscapesStillIn_CountsTheTextTheyStandFor()
    {
        const string text = "line one\nsaid \"hi\" \\ caf\u00e9 \u2603 \ud83d\ude00 / tab\there";
        const string escaped = "line one\\nsaid \\\"hi\\\" \\\\ caf\\u00e9 \\u2603 \\ud83d\\ude00 \\/ tab\\there";

        var plain = _estimator.CountText(Encoding.UTF8.GetBytes(text), "gpt-4o");

        Assert.True(plain > 10);
        Assert.Equal(plain, _estimator.CountText(Encoding.UTF8.GetBytes(escaped), "gpt-4o"));
    }

    [Fact]
    public void CountPrompt_TwoMessages_TextPlusThreePerMessagePlusThreeForTheReply()
    {
        const string request = """{"model":"gpt-4o","stream":true,"messages":[{"role":"system","content":"You are a helpful assistant."},{"role":"user","content":"hello world"}],"max_tokens":5}""";

        // 3 + "system" 1 + 6, 3 + "user" 1 + 2, 3 for the reply.
        Assert.Equal(19, _estimator.CountPrompt(Encoding.UTF8.GetBytes(request), "gpt-4o"));
    }

    [Fact]
    public void CountPrompt_TextParts_CountedLikeAString_ImagesNot()
    {
        const string parts = """{"messages":[{"role":"system","content":"You are a helpful assistant."},{"role":"user","content":[{"type":"text","text":"hello"},{"type":"image_url","image_url":{"url":"data:image/png;base64,iVBORw0KGgo="}},{"type":"text","text":" world"}]}]}""";

        Assert.Equal(19, _estimator.CountPrompt(Encoding.UTF8.GetBytes(parts), "gpt-4o"));
    }

    [Fact]
    public void CountPrompt_ToolCallsAndName_CountNameArgumentsAndTheNameToken()
    {
        const string request = """{"messages":[{"role":"assistant","content":null,"tool_calls":[{"id":"call_1","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}}]},{"role":"tool","tool_call_id":"call_1","content":"sunny"},{"role":"user","name":"ann","content":"hello world"}],"tools":[{"type":"function","function":{"name":"get_weather","parameters":{}}}]}""";

        var expected = 3 + Text("assistant") + Text("get_weather") + Text("{\"city\":\"Paris\"}")
            + 3 + Text("tool") + Text("sunny")
            + 3 + Text("user") + Text("ann") + 1 + 2
            + 3;
        Assert.Equal(expected, _estimator.CountPrompt(Encoding.UTF8.GetBytes(request), "gpt-4o"));
    }

    [Fact]
    public void CountPrompt_NotJson_CountsTheRawText()
    {
        Assert.Equal(2, _estimator.CountPrompt("hello world"u8, "gpt-4o"));
    }

    [Fact]
    public void CountText_FromSeveralThreadsAtOnce_SameCountsAsAlone()
    {
        var texts = Enumerable.Range(0, 64).Select(i => Encoding.UTF8.GetBytes(string.Join(' ', Enumerable.Range(i, 40).Select(w => $"word{w % 17}-{w}")))).ToArray();
        var alone = texts.Select(t => _estimator.CountText(t, "gpt-4o")).ToArray();

        var together = new long[8][];
        Parallel.For(0, together.Length, new ParallelOptions { MaxDegreeOfParallelism = 8 }, n =>
        {
            together[n] = texts.Select(t => _estimator.CountText(t, "gpt-4o")).ToArray();
        });

        Assert.All(together, counts => Assert.Equal(alone, counts));
    }

    private long Text(string text) => _estimator.CountText(Encoding.UTF8.GetBytes(text), "gpt-4o");
}
