using System.Text;
using FastGate.Ai.Providers;
using FastGate.Ai.Providers.OpenAi;

namespace FastGate.Ai.Tests.OpenAi;

/// <summary>
/// The decoder tells a usage-only chunk (the one include_usage adds) from the read that takes its
/// usage, exactly as <see cref="OpenAiChatStreamEncoder.IsUsageOnly"/> tells it from the bytes.
/// </summary>
public class OpenAiUsageOnlyChunkTests
{
    private const string Usage = "{\"prompt_tokens\":3,\"completion_tokens\":2,\"total_tokens\":5}";

    public static TheoryData<string> Chunks =>
    [
        $"{{\"id\":\"c\",\"choices\":[],\"usage\":{Usage}}}",
        $"{{\"usage\":{Usage},\"choices\":[]}}",
        $"{{\"usage\":{Usage},\"id\":\"c\",\"choices\":[ ] }}",
        $"{{\"choices\":[{{\"index\":0,\"delta\":{{\"content\":\"a\"}}}}],\"usage\":{Usage}}}",
        "{\"choices\":[{\"index\":0,\"delta\":{\"content\":\"a\"}}],\"usage\":null}",
        "{\"choices\":[],\"usage\":null}",
        $"{{\"usage\":null,\"choices\":[],\"usage\":{Usage}}}",
        $"{{\"choices\":[],\"choices\":[{{\"index\":0}}],\"usage\":{Usage}}}",
        $"{{\"choices\":[{{\"index\":0}}],\"choices\":[],\"usage\":{Usage}}}",
        $"{{\"choices\":[],\"usage\":{Usage},\"choices\":[{{\"index\":0}}]}}",
        $"{{\"choices\":null,\"usage\":{Usage}}}",
        $"{{\"choices\":[1],\"usage\":{Usage}}}",
        $"{{\"choices\":{{}},\"choices\":[],\"usage\":{Usage}}}",
        $"{{\"usage\":{Usage}}}",
        "{\"choices\":[]}",
        "{}",
        "[DONE]",
        "{\"error\":{\"message\":\"boom\"}}",
    ];

    [Theory]
    [MemberData(nameof(Chunks))]
    public void LastWasUsageOnly_SameAsReadingTheChunkAgain(string chunk)
    {
        var decoder = new OpenAiStreamDecoder();
        decoder.Reset(default);
        var usage = default(TokenUsage);
        var bytes = Encoding.UTF8.GetBytes(chunk);

        decoder.OnEvent(default, bytes, new RecordingSink(), ref usage);

        Assert.Equal(OpenAiChatStreamEncoder.IsUsageOnly(bytes), decoder.LastWasUsageOnly);
    }

    [Fact]
    public void LastWasUsageOnly_FalseAgainForTheNextEvent()
    {
        var decoder = new OpenAiStreamDecoder();
        var usage = default(TokenUsage);
        decoder.OnEvent(default, Encoding.UTF8.GetBytes($"{{\"choices\":[],\"usage\":{Usage}}}"), new RecordingSink(), ref usage);
        Assert.True(decoder.LastWasUsageOnly);

        decoder.OnEvent(default, "[DONE]"u8, new RecordingSink(), ref usage);

        Assert.False(decoder.LastWasUsageOnly);
    }
}
