using System.Buffers;
using System.Text;
using FastGate.Ai.Providers;
using FastGate.Ai.Providers.Anthropic;
using FastGate.Proxy.Config;
using FastGate.Proxy.Forwarding;

namespace FastGate.Ai.Tests.Anthropic;

public class AnthropicAdapterTests
{
    private static ProviderModel Provider(string baseUrl, string? apiVersion = null) => new()
    {
        Name = "ant",
        Kind = ProviderKind.Anthropic,
        BaseUrl = new Uri(baseUrl),
        ApiVersion = apiVersion,
        Cluster = "ai-ant",
    };

    [Theory]
    [InlineData("http://127.0.0.1:9000", ClientApi.AnthropicMessages, "/v1/messages")]
    [InlineData("http://127.0.0.1:9000/", ClientApi.OpenAiChat, "/v1/messages")]
    [InlineData("https://gw.example.com/anthropic", ClientApi.AnthropicMessages, "/anthropic/v1/messages")]
    [InlineData("https://gw.example.com/anthropic/", ClientApi.AnthropicCountTokens, "/anthropic/v1/messages/count_tokens")]
    public void WriteTarget_BasePathThenApiPath(string baseUrl, ClientApi api, string expected)
    {
        var target = new ArrayBufferWriter<byte>();

        new AnthropicAdapter().WriteTarget(api, Provider(baseUrl), "claude"u8, stream: true, target);

        Assert.Equal(expected, Encoding.UTF8.GetString(target.WrittenSpan));
    }

    [Fact]
    public void SetHeaders_KeyAndDefaultVersion()
    {
        var headers = new HeaderEdits();

        new AnthropicAdapter().SetHeaders(Provider("http://h"), "sk-ant-1", headers);

        Assert.True(headers.TryGetValue("x-api-key"u8, out var key));
        Assert.Equal("sk-ant-1", Encoding.UTF8.GetString(key));
        Assert.True(headers.TryGetValue("anthropic-version"u8, out var version));
        Assert.Equal("2023-06-01", Encoding.UTF8.GetString(version));
        Assert.False(headers.TryGetValue("authorization"u8, out _));
    }

    [Fact]
    public void SetHeaders_ConfiguredVersion()
    {
        var headers = new HeaderEdits();

        new AnthropicAdapter().SetHeaders(Provider("http://h", "2024-01-01"), "k", headers);

        Assert.True(headers.TryGetValue("anthropic-version"u8, out var version));
        Assert.Equal("2024-01-01", Encoding.UTF8.GetString(version));
    }

    [Theory]
    [InlineData(ClientApi.OpenAiChat, true)]
    [InlineData(ClientApi.AnthropicMessages, true)]
    [InlineData(ClientApi.AnthropicCountTokens, true)]
    [InlineData(ClientApi.OpenAiEmbeddings, false)]
    [InlineData(ClientApi.OpenAiResponses, false)]
    public void Supports_ChatAndCountTokensOnly(ClientApi api, bool supported)
    {
        var adapter = new AnthropicAdapter();

        Assert.Equal(supported, adapter.Supports(api));
        Assert.Equal((ProviderKind.Anthropic, StreamFraming.Sse), (adapter.Kind, adapter.StreamFraming));
        if (!supported)
        {
            Assert.False(adapter.TryWriteRequest(api, "{}"u8, default, "m"u8, new ArrayBufferWriter<byte>(), out var error));
            Assert.Equal(400, error.Status);
        }
    }
}
