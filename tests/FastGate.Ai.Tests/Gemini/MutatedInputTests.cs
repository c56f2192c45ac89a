using System.Buffers;
using FastGate.Ai.Providers;
using FastGate.Ai.Providers.Gemini;
using FastGate.Ai.Providers.Ollama;
using FastGate.Ai.Tests.Ollama;

namespace FastGate.Ai.Tests.Gemini;

/// <summary>
/// Provider garbage and client garbage: recorded bodies and a rich pivot request, cut short and
/// with bytes changed, dropped or added (a seeded random, so a failure repeats). Whatever comes,
/// the translators answer true, false or an error, and never throw.
/// </summary>
public class MutatedInputTests
{
    private const int Mutations = 400;

    private const string RichPivot = """
        {"model":"x","messages":[
          {"role":"system","content":"Be brief."},
          {"role":"user","content":[{"type":"text","text":"What is \"this\"?"},{"type":"image_url","image_url":{"url":"data:image/png;base64,iVBORw0KGgo="}}]},
          {"role":"assistant","content":null,"tool_calls":[{"id":"call_1","type":"function","function":{"name":"f","arguments":"{\"a\":1}"}}]},
          {"role":"tool","tool_call_id":"call_1","content":"{\"ok\":true}"}],
         "tools":[{"type":"function","function":{"name":"f","parameters":{"type":"object"}}}],
         "tool_choice":"auto","max_tokens":10,"temperature":0.5,"stop":["x"],"stream":true}
        """;

    public static TheoryData<string> ProviderBodies => new()
    {
        "gemini/generate-content.json",
        "gemini/max-tokens.json",
        "gemini/embed-response.json",
        "gemini/error-429.json",
        "ollama/chat-tool-response.json",
        "ollama/chat-response.json",
        "ollama/embed-response.json",
        "ollama/error-404.json",
    };

    [Theory]
    [MemberData(nameof(ProviderBodies))]
    public void ResponsesAndErrors_Mutated_NeverThrow(string recording)
    {
        var body = ProviderTestData.Read(recording);
        ProviderAdapter[] adapters = [new GeminiAdapter(), new OllamaAdapter()];
        foreach (var mutated in Mutate(body, seed: recording.Length))
        {
            foreach (var adapter in adapters)
            {
                foreach (var api in new[] { ClientApi.OpenAiChat, ClientApi.OpenAiEmbeddings })
                {
                    var usage = new TokenUsage();
                    if (!adapter.TryReadResponse(api, mutated, new ArrayBufferWriter<byte>(), ref usage, out var error))
                    {
                        Assert.InRange(error.Status, 400, 599);
                    }
                }
                Assert.InRange(adapter.ReadError(500, mutated).Status, 400, 599);
            }
        }
    }

    [Theory]
    [InlineData("gemini/text-stream.sse")]
    [InlineData("gemini/function-call-stream.sse")]
    [InlineData("gemini/error-stream.sse")]
    public void GeminiStream_Mutated_NeverThrows(string recording)
    {
        var decoder = new GeminiStreamDecoder();
        foreach (var mutated in Mutate(ProviderTestData.Read(recording), seed: 7))
        {
            var feed = SseFeed.Run(decoder, mutated);
            Assert.True(feed.Sink.DoneCount <= 1);
            Assert.True(feed.Sink.Errors.Count <= 1);
        }
    }

    [Theory]
    [InlineData("ollama/text-stream.ndjson")]
    [InlineData("ollama/tool-call-stream.ndjson")]
    [InlineData("ollama/error-stream.ndjson")]
    public void OllamaStream_Mutated_NeverThrows(string recording)
    {
        var decoder = new OllamaStreamDecoder();
        foreach (var mutated in Mutate(ProviderTestData.Read(recording), seed: 11))
        {
            var feed = NdJsonFeed.Run(decoder, mutated);
            Assert.True(feed.Sink.DoneCount <= 1);
            Assert.True(feed.Sink.Errors.Count <= 1);
        }
    }

    [Fact]
    public void Requests_Mutated_NeverThrow()
    {
        ProviderAdapter[] adapters = [new GeminiAdapter(), new OllamaAdapter()];
        foreach (var mutated in Mutate(ProviderTestData.Utf8(RichPivot), seed: 3))
        {
            foreach (var adapter in adapters)
            {
                foreach (var api in new[] { ClientApi.OpenAiChat, ClientApi.OpenAiEmbeddings })
                {
                    if (!adapter.TryWriteRequest(api, mutated, new RequestFacts { Stream = true }, "gemini-3-pro"u8, new ArrayBufferWriter<byte>(), out var error))
                    {
                        Assert.Equal(400, error.Status);
                    }
                }
            }
        }
    }

    private static IEnumerable<byte[]> Mutate(byte[] body, int seed)
    {
        var random = new Random(seed);
        for (var cut = 0; cut < body.Length; cut += Math.Max(1, body.Length / 50))
        {
            yield return body[..cut];
        }
        var interesting = "{}[]\":,\\ 0-9eE.tfn\r\n"u8.ToArray();
        for (var i = 0; i < Mutations; i++)
        {
            var bytes = body.ToList();
            var changes = random.Next(1, 4);
            for (var c = 0; c < changes && bytes.Count > 0; c++)
            {
                var at = random.Next(bytes.Count);
                switch (random.Next(4))
                {
                    case 0:
                        bytes[at] = interesting[random.Next(interesting.Length)];
                        break;
                    case 1:
                        bytes.RemoveRange(at, Math.Min(bytes.Count - at, random.Next(1, 8)));
                        break;
                    case 2:
                        bytes.Insert(at, interesting[random.Next(interesting.Length)]);
                        break;
                    default:
                        bytes[at] = (byte)random.Next(256);
                        break;
                }
            }
            yield return bytes.ToArray();
        }
    }
}
