using System.Text.Json;
using FastGate.Ai.Json;
using FastGate.Ai.Providers.Pivot;

namespace FastGate.Ai.Providers.Ollama;

/// <summary>Ollama's error body, <c>{"error":"model 'x' not found"}</c>, as an <see cref="AiError"/>.</summary>
internal static class OllamaErrors
{
    public const string Provider = "ollama";

    public static AiError Read(int status, ReadOnlySpan<byte> body)
    {
        try
        {
            var response = OllamaResponse.Scan(body);
            if (response.Error.IsString)
            {
                return FromError(response.Error, status);
            }
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or ArgumentException)
        {
        }
        return ProviderErrorStatus.Map(status, ProviderErrorStatus.Fallback(Provider, status, body));
    }

    /// <summary>The <c>error</c> string; inside a stream (no status of its own) it is the provider failing: 502.</summary>
    public static AiError FromError(RawJson error, int status)
    {
        var message = PivotText.ToDisplayString(error);
        return ProviderErrorStatus.Map(status == 0 ? 500 : status, string.IsNullOrEmpty(message) ? $"{Provider} answered an error without a message" : message);
    }
}
