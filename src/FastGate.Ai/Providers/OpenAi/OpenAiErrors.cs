using System.Buffers;
using System.Text;
using System.Text.Json;
using FastGate.Ai.Json;
using FastGate.Ai.Providers.Pivot;

namespace FastGate.Ai.Providers.OpenAi;

/// <summary>
/// OpenAI's error shape, both ways: reading a provider's error (<c>{"error":{"message","type","param","code"}}</c>,
/// an <c>error</c> that is a bare string, or a plain-text body) into an <see cref="AiError"/>, and writing an
/// <see cref="AiError"/> for an OpenAI client. Errors are rare: strings are allocated here.
/// </summary>
internal static class OpenAiErrors
{
    /// <summary>A plain-text error body is cut to this many bytes: enough for a message, not a whole HTML page.</summary>
    private const int MaxPlainTextBytes = 512;

    /// <summary>
    /// The status and type a client sees for a provider's non-2xx status. Statuses that describe the client's
    /// request (400, 401, 403, 404, 408, 409, 413, 422) and 429 are kept, so an SDK raises the exception it
    /// would have raised talking to the provider. A provider's 503 (and Anthropic-style 529) means overloaded:
    /// 503 overloaded_error, which SDKs retry. Every other 5xx is the provider failing: 502 api_error (the
    /// gateway got a bad answer from upstream). Any other status (a 402 for exhausted credit, a 405 or 415 that
    /// says the gateway spoke wrongly to the provider) is not the client's fault either: 502 api_error.
    /// </summary>
    public static (int Status, string Type) MapStatus(int status)
    {
        var mapped = status switch
        {
            400 or 401 or 403 or 404 or 408 or 409 or 413 or 422 or 429 => status,
            503 or 529 => 503,
            _ => 502,
        };
        return (mapped, ProviderErrorStatus.TypeFor(mapped));
    }

    /// <summary>An error a provider answered with <paramref name="status"/>, its message kept.</summary>
    public static AiError FromResponse(int status, ReadOnlySpan<byte> body)
    {
        var (mapped, type) = MapStatus(status);
        var message = TryReadMessage(body, out var fromJson) ? fromJson : PlainText(body);
        if (string.IsNullOrWhiteSpace(message))
        {
            message = $"the provider answered with status {status}";
        }
        return new AiError(mapped, type, message);
    }

    /// <summary>
    /// An error reported inside a stream (<c>{"error":{...}}</c> in place of a chunk): there is no status, so
    /// the status comes from the error's type or code; anything unknown is the provider failing, 502.
    /// </summary>
    public static AiError FromStreamError(string? message, string? type, string? code)
    {
        var status = StatusOfType(type) ?? StatusOfType(code) ?? 502;
        var (mapped, mappedType) = MapStatus(status);
        return new AiError(mapped, mappedType, string.IsNullOrWhiteSpace(message) ? "the provider reported an error in the stream" : message);
    }

    private static int? StatusOfType(string? type) => type switch
    {
        "invalid_request_error" or "invalid_request" or "context_length_exceeded" => 400,
        "authentication_error" or "invalid_api_key" => 401,
        "permission_error" or "permission_denied" => 403,
        "not_found_error" or "model_not_found" or "not_found" => 404,
        "rate_limit_error" or "rate_limit_exceeded" or "insufficient_quota" or "tokens" or "requests" => 429,
        "overloaded_error" or "overloaded" or "server_overloaded" => 503,
        "timeout_error" or "timeout" => 408,
        _ => null,
    };

    /// <summary>
    /// Reads the value of an <c>error</c> member: an object with message/type/code, or a string that is the
    /// message. The reader is on the value's first token and ends on its last.
    /// </summary>
    public static void ReadErrorValue(ref Utf8JsonReader reader, out string? message, out string? type, out string? code)
    {
        message = type = code = null;
        if (reader.TokenType == JsonTokenType.String)
        {
            message = reader.GetString();
            return;
        }
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            reader.Skip();
            return;
        }
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("message"u8))
            {
                reader.Read();
                message = ScalarText(ref reader);
            }
            else if (reader.ValueTextEquals("type"u8))
            {
                reader.Read();
                type = ScalarText(ref reader);
            }
            else if (reader.ValueTextEquals("code"u8))
            {
                reader.Read();
                code = ScalarText(ref reader);
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }
    }

    /// <summary>A string or number as text (OpenAI-compatible servers send <c>code</c> as either); null for anything else.</summary>
    public static string? ScalarText(ref Utf8JsonReader reader)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.String:
                return reader.GetString();
            case JsonTokenType.Number:
                return Encoding.UTF8.GetString(reader.ValueSpan);
            default:
                reader.Skip();
                return null;
        }
    }

    /// <summary>Writes <c>{"error":{"message":...,"type":...,"param":null,"code":null}}</c>, the shape OpenAI's SDKs read.</summary>
    public static void Write(in AiError error, IBufferWriter<byte> output)
    {
        var writer = JsonWriters.For(output);
        writer.WriteStartObject();
        writer.WritePropertyName("error"u8);
        writer.WriteStartObject();
        writer.WriteString("message"u8, error.Message);
        writer.WriteString("type"u8, error.Type);
        writer.WriteNull("param"u8);
        writer.WriteNull("code"u8);
        writer.WriteEndObject();
        writer.WriteEndObject();
        writer.Flush();
    }

    /// <summary>The message of a JSON error body: <c>error.message</c>, <c>error</c> as a string, or a top-level <c>message</c>.</summary>
    private static bool TryReadMessage(ReadOnlySpan<byte> body, out string? message)
    {
        message = null;
        try
        {
            var reader = new Utf8JsonReader(body);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return false;
            }
            string? topMessage = null;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("error"u8))
                {
                    reader.Read();
                    ReadErrorValue(ref reader, out var errorMessage, out _, out _);
                    message ??= errorMessage;
                }
                else if (reader.ValueTextEquals("message"u8) || reader.ValueTextEquals("detail"u8))
                {
                    reader.Read();
                    topMessage ??= ScalarText(ref reader);
                }
                else
                {
                    reader.Read();
                    reader.Skip();
                }
            }
            message ??= topMessage;
            return message is not null;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private static string PlainText(ReadOnlySpan<byte> body)
    {
        body = body.Trim(" \t\r\n"u8);
        if (body.Length > MaxPlainTextBytes)
        {
            body = body[..MaxPlainTextBytes];
        }
        // A cut inside a multi-byte character decodes to U+FFFD, which is fine in a message.
        return Encoding.UTF8.GetString(body);
    }
}
