using System.Buffers;
using System.Text;
using FastGate.Ai.Providers.OpenAi;

namespace FastGate.Ai.Tests.OpenAi;

/// <summary>OpenAI chat's <c>n</c>: read into the request's facts (a Gemini provider's stream waits for that many choices), checked as OpenAI checks it.</summary>
public class OpenAiChoicesRequestTests
{
    [Theory]
    [InlineData("""{"model":"m","messages":[],"n":3}""", 3)]
    [InlineData("""{"model":"m","messages":[],"n":null}""", 0)]
    [InlineData("""{"model":"m","messages":[]}""", 0)]
    [InlineData("""{"n":128,"model":"m","messages":[]}""", 128)]
    public void N_IsTheChoicesAskedFor(string body, int choices)
    {
        var pivot = new ArrayBufferWriter<byte>();
        Assert.True(new OpenAiChatFront().TryReadRequest(Encoding.UTF8.GetBytes(body), pivot, out var facts, out var error), error.Message);

        Assert.Equal(choices, facts.Choices);
        Assert.Equal(body, Encoding.UTF8.GetString(pivot.WrittenSpan));
    }

    [Theory]
    [InlineData("0")]
    [InlineData("129")]
    [InlineData("1.5")]
    [InlineData("\"2\"")]
    [InlineData("-1")]
    public void N_OutOfRange_Is400(string n)
    {
        var pivot = new ArrayBufferWriter<byte>();
        var ok = new OpenAiChatFront().TryReadRequest(Encoding.UTF8.GetBytes($$"""{"model":"m","messages":[],"n":{{n}}}"""), pivot, out _, out var error);

        Assert.False(ok);
        Assert.Equal(400, error.Status);
        Assert.Equal("n must be a whole number from 1 to 128", error.Message);
    }
}
