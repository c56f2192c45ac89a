using System.Text.Json;
using FastGate.Ai.Json;
using FastGate.Ai.Providers.Pivot;

namespace FastGate.Ai.Providers.Gemini;

/// <summary>
/// Gemini's error body, <c>{"error":{"code":429,"message":"...","status":"RESOURCE_EXHAUSTED"}}</c>
/// (Google API error model, AIP-193), as an <see cref="AiError"/>. Errors are rare: strings here are fine.
/// </summary>
internal static class GeminiErrors
{
    public const string Provider = "gemini";

    /// <summary>A non-2xx answer; a body that is not Google's error shape keeps its status and a short message.</summary>
    public static AiError Read(int status, ReadOnlySpan<byte> body)
    {
        try
        {
            var reader = new Utf8JsonReader(body);
            if (reader.Read())
            {
                // streamGenerateContent without alt=sse answers errors as a one-element array.
                if (reader.TokenType == JsonTokenType.StartArray)
                {
                    reader.Read();
                }
                if (reader.TokenType == JsonTokenType.StartObject)
                {
                    var start = (int)reader.TokenStartIndex;
                    reader.Skip();
                    var response = GeminiResponse.Scan(body[start..(int)reader.BytesConsumed]);
                    if (response.Error.IsObject)
                    {
                        return FromErrorObject(response.Error, status);
                    }
                }
            }
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or ArgumentException)
        {
        }
        return ProviderErrorStatus.Map(status, ProviderErrorStatus.Fallback(Provider, status, body));
    }

    /// <summary>The <c>error</c> object; <paramref name="httpStatus"/> 0 inside a stream, where its <c>code</c> gives the status.</summary>
    public static AiError FromErrorObject(RawJson error, int httpStatus)
    {
        long code = 0;
        string? message = null, status = null;
        if (error.IsObject)
        {
            var reader = error.Reader();
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("code"u8))
                {
                    reader.Read();
                    if (reader.TokenType != JsonTokenType.Number || !reader.TryGetInt64(out code))
                    {
                        code = 0;
                        reader.Skip();
                    }
                }
                else if (reader.ValueTextEquals("message"u8))
                {
                    message = PivotText.ToDisplayString(RawJson.CaptureProperty(ref reader, error.Bytes));
                }
                else if (reader.ValueTextEquals("status"u8))
                {
                    status = PivotText.ToDisplayString(RawJson.CaptureProperty(ref reader, error.Bytes));
                }
                else
                {
                    RawJson.SkipProperty(ref reader);
                }
            }
        }
        var effective = httpStatus != 0 ? httpStatus : code is >= 400 and <= 599 ? (int)code : 500;
        var text = (message, status) switch
        {
            ({ Length: > 0 }, { Length: > 0 }) => $"{message} ({status})",
            ({ Length: > 0 }, _) => message,
            (_, { Length: > 0 }) => $"{Provider}: {status}",
            _ => $"{Provider} answered an error without a message",
        };
        return ProviderErrorStatus.Map(effective, text);
    }
}
