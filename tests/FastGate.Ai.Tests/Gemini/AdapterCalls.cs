using System.Buffers;
using System.Text;
using System.Text.Json;
using FastGate.Ai.Providers;

namespace FastGate.Ai.Tests.Gemini;

/// <summary>Calls an adapter's span-and-buffer methods from tests and gives back parsed JSON.</summary>
internal static class AdapterCalls
{
    public static JsonElement Request(ProviderAdapter adapter, ClientApi api, string pivot, string model = "m", bool stream = false)
    {
        Assert.True(TryRequest(adapter, api, pivot, out var body, out var error, model, stream), error.Message);
        return JsonDocument.Parse(body).RootElement;
    }

    public static bool TryRequest(ProviderAdapter adapter, ClientApi api, string pivot, out string body, out AiError error, string model = "m", bool stream = false)
    {
        var output = new ArrayBufferWriter<byte>();
        var facts = new RequestFacts { Stream = stream };
        var ok = adapter.TryWriteRequest(api, Encoding.UTF8.GetBytes(pivot), facts, Encoding.UTF8.GetBytes(model), output, out error);
        body = Encoding.UTF8.GetString(output.WrittenSpan);
        return ok;
    }

    public static (JsonElement Pivot, TokenUsage Usage) Response(ProviderAdapter adapter, ClientApi api, byte[] body)
    {
        var output = new ArrayBufferWriter<byte>();
        var usage = new TokenUsage();
        Assert.True(adapter.TryReadResponse(api, body, output, ref usage, out var error), error.Message);
        return (JsonDocument.Parse(output.WrittenMemory).RootElement, usage);
    }

    public static AiError FailedResponse(ProviderAdapter adapter, ClientApi api, byte[] body)
    {
        var output = new ArrayBufferWriter<byte>();
        var usage = new TokenUsage();
        Assert.False(adapter.TryReadResponse(api, body, output, ref usage, out var error));
        return error;
    }

    public static string Target(ProviderAdapter adapter, ClientApi api, string baseUrl, string model, bool stream)
    {
        var provider = new FastGate.Proxy.Config.ProviderModel { Name = "p", Kind = adapter.Kind, BaseUrl = new Uri(baseUrl), Cluster = "c" };
        var output = new ArrayBufferWriter<byte>();
        adapter.WriteTarget(api, provider, Encoding.UTF8.GetBytes(model), stream, output);
        return Encoding.UTF8.GetString(output.WrittenSpan);
    }

    public static bool SameJson(string expected, JsonElement actual) => JsonElement.DeepEquals(JsonDocument.Parse(expected).RootElement, actual);
}
