using System.Buffers;
using FastGate.Ai.Providers;
using FastGate.Ai.Providers.Gemini;
using FastGate.Ai.Providers.Ollama;
using FastGate.Proxy.Config;

namespace FastGate.Ai.Tests.Gemini;

/// <summary>Per request: once warm, translating a request and a whole answer allocates nothing either.</summary>
public class AdapterAllocationTests
{
    private const string Pivot = """
        {"model":"x","messages":[
          {"role":"system","content":"Be brief."},
          {"role":"user","content":[{"type":"text","text":"What is \"this\"?"},{"type":"image_url","image_url":{"url":"data:image/png;base64,iVBORw0KGgo="}}]},
          {"role":"assistant","content":null,"tool_calls":[{"id":"call_1","type":"function","function":{"name":"f","arguments":"{\"a\":1}"}}]},
          {"role":"tool","tool_call_id":"call_1","content":"{\"ok\":true}"}],
         "tools":[{"type":"function","function":{"name":"f","parameters":{"type":"object"}}}],
         "tool_choice":"auto","max_tokens":10,"temperature":0.5,"stop":["x"],"stream":true}
        """;

    [Theory]
    [InlineData(ProviderKind.Gemini, "gemini/generate-content.json")]
    [InlineData(ProviderKind.Ollama, "ollama/chat-tool-response.json")]
    public void RequestAndResponse_Warm_AllocateNothing(ProviderKind kind, string answer)
    {
        ProviderAdapter adapter = kind == ProviderKind.Gemini ? new GeminiAdapter() : new OllamaAdapter();
        var pivot = ProviderTestData.Utf8(Pivot);
        var body = ProviderTestData.Read(answer);
        var output = new ArrayBufferWriter<byte>(64 * 1024);
        var facts = new RequestFacts { Stream = true };

        void Translate()
        {
            output.ResetWrittenCount();
            Assert.True(adapter.TryWriteRequest(ClientApi.OpenAiChat, pivot, facts, "gemini-3-pro"u8, output, out _));
            output.ResetWrittenCount();
            var usage = new TokenUsage();
            Assert.True(adapter.TryReadResponse(ClientApi.OpenAiChat, body, output, ref usage, out _));
        }

        Translate();
        Translate();
        var before = GC.GetAllocatedBytesForCurrentThread();
        Translate();
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
