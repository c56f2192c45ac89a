using System.Buffers;
using System.Text;
using FastGate.Ai.Providers;
using FastGate.Ai.Providers.Anthropic;

namespace FastGate.Ai.Tests.Anthropic;

public class AnthropicErrorTests
{
    [Fact]
    public void ReadError_529Overloaded_503OverloadedErrorWithMessage()
    {
        var error = new AnthropicAdapter().ReadError(529, AnthropicTestData.Body("error-overloaded.json"));

        Assert.Equal(new AiError(503, "overloaded_error", "Overloaded"), error);
    }

    [Fact]
    public void ReadError_429_StatusTypeAndMessageKept()
    {
        var error = new AnthropicAdapter().ReadError(429, AnthropicTestData.Body("error-rate-limit.json"));

        Assert.Equal(new AiError(429, "rate_limit_error", "Number of request tokens has exceeded your per-minute rate limit"), error);
    }

    [Theory]
    [InlineData(500)]
    [InlineData(502)]
    [InlineData(504)]
    public void ReadError_5xx_502ApiError(int status)
    {
        var error = new AnthropicAdapter().ReadError(status, "{\"type\":\"error\",\"error\":{\"type\":\"api_error\",\"message\":\"Internal server error\"}}"u8);

        Assert.Equal(new AiError(502, "api_error", "Internal server error"), error);
    }

    [Theory]
    [InlineData(400, "invalid_request_error")]
    [InlineData(401, "authentication_error")]
    [InlineData(404, "not_found_error")]
    [InlineData(500, "api_error")]
    public void ReadError_NotJson_TypeFromStatusAndBodyInMessage(int status, string type)
    {
        var error = new AnthropicAdapter().ReadError(status, "<html>\nBad Gateway</html>"u8);

        Assert.Equal(type, error.Type);
        Assert.Contains("Bad Gateway", error.Message);
        Assert.DoesNotContain("\n", error.Message);
    }

    [Fact]
    public void WriteError_AnthropicShape()
    {
        var output = new ArrayBufferWriter<byte>();

        new AnthropicMessagesFront().WriteError(new AiError(404, "not_found_error", "model \"x\" is not served here"), output);

        Assert.Equal("{\"type\":\"error\",\"error\":{\"type\":\"not_found_error\",\"message\":\"model \\\"x\\\" is not served here\"}}", Encoding.UTF8.GetString(output.WrittenSpan));
    }

    [Theory]
    [InlineData(429, "rate_limit_exceeded", "rate_limit_error")]
    [InlineData(500, "server_error", "api_error")]
    [InlineData(413, "invalid_request_error", "invalid_request_error")]
    public void WriteError_OpenAiType_MappedToAnthropicVocabulary(int status, string type, string expected)
    {
        var output = new ArrayBufferWriter<byte>();

        new AnthropicCountTokensFront().WriteError(new AiError(status, type, "m"), output);

        Assert.Equal(expected, (string?)AnthropicTestData.Json(output)["error"]!["type"]);
    }
}
