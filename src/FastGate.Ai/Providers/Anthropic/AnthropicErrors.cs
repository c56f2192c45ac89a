using System.Buffers;
using System.Text;
using System.Text.Json;
using FastGate.Ai.Json;
using FastGate.Ai.Providers.Pivot;

namespace FastGate.Ai.Providers.Anthropic;

/// <summary>
/// Anthropic's error body, <c>{"type":"error","error":{"type":...,"message":...}}</c>, read and
/// written, and the statuses its error types go with (Anthropic API reference, "Errors").
/// </summary>
internal static class AnthropicErrors
{
    /// <summary>
    /// A provider's error answer for the client: 529 (Anthropic's "overloaded") becomes 503, any
    /// other 5xx 502 <c>api_error</c> (the gateway, not the client, met a failing upstream), the
    /// 4xx statuses stay with the provider's type and message.
    /// </summary>
    public static AiError Read(int status, ReadOnlySpan<byte> body)
    {
        string? type = null, message = null;
        try
        {
            var top = new JsonMembers(body);
            while (top.Next(out var name, out var value))
            {
                if (name.SequenceEqual("error"u8))
                {
                    ReadInner(value, ref type, ref message);
                }
            }
        }
        catch (JsonException)
        {
            // Not JSON (a proxy's HTML page, a cut body): the status speaks alone.
        }
        message ??= body.IsEmpty ? $"provider answered {status}" : $"provider answered {status}: {Printable(body)}";
        if (status == 529 || type == "overloaded_error")
        {
            return new AiError(503, "overloaded_error", message);
        }
        if (status >= 500)
        {
            return new AiError(502, "api_error", message);
        }
        return new AiError(status, type ?? TypeFor(status), message);
    }

    /// <summary>An <c>event: error</c> of an Anthropic stream (its status comes from its type).</summary>
    public static bool TryReadEvent(ReadOnlySpan<byte> data, out AiError error)
    {
        string? type = null, message = null;
        var top = new JsonMembers(data);
        if (!top.IsObject)
        {
            error = default;
            return false;
        }
        while (top.Next(out var name, out var value))
        {
            if (name.SequenceEqual("error"u8))
            {
                ReadInner(value, ref type, ref message);
            }
        }
        type ??= "api_error";
        error = new AiError(StatusFor(type), type, message ?? "the provider's stream failed");
        return true;
    }

    public static void Write(in AiError error, IBufferWriter<byte> output)
    {
        var writer = JsonWriters.For(output);
        WriteObject(writer, error);
        writer.Flush();
    }

    public static void WriteObject(Utf8JsonWriter writer, in AiError error)
    {
        writer.WriteStartObject();
        writer.WriteString("type"u8, "error"u8);
        writer.WriteStartObject("error"u8);
        writer.WriteString("type"u8, TypeForClient(error));
        writer.WriteString("message"u8, error.Message);
        writer.WriteEndObject();
        writer.WriteEndObject();
    }

    /// <summary>The error type as the Anthropic vocabulary has it (an OpenAI-only type is mapped by status).</summary>
    private static string TypeForClient(in AiError error) => error.Type switch
    {
        "invalid_request_error" or "authentication_error" or "permission_error" or "not_found_error"
            or "request_too_large" or "rate_limit_error" or "api_error" or "overloaded_error" or "timeout_error" => error.Type,
        _ => TypeFor(error.Status),
    };

    /// <summary>The shared error type for a status, but Anthropic names a 413 <c>request_too_large</c>.</summary>
    public static string TypeFor(int status) => status == 413 ? "request_too_large" : ProviderErrorStatus.TypeFor(status);

    public static int StatusFor(string type) => type switch
    {
        "invalid_request_error" => 400,
        "authentication_error" => 401,
        "permission_error" => 403,
        "not_found_error" => 404,
        "request_too_large" => 413,
        "rate_limit_error" => 429,
        "overloaded_error" => 503,
        "timeout_error" => 504,
        _ => 502,
    };

    private static void ReadInner(ReadOnlySpan<byte> error, ref string? type, ref string? message)
    {
        var inner = new JsonMembers(error);
        while (inner.Next(out var name, out var value))
        {
            if (name.SequenceEqual("type"u8) && new RawJson(value).IsString)
            {
                type = new RawJson(value).Text();
            }
            else if (name.SequenceEqual("message"u8) && new RawJson(value).IsString)
            {
                message = new RawJson(value).Text();
            }
        }
    }

    // A non-JSON body goes into the message shortened, so a provider's HTML page does not flood the client.
    private static string Printable(ReadOnlySpan<byte> body) =>
        Encoding.UTF8.GetString(body[..Math.Min(body.Length, 200)]).ReplaceLineEndings(" ");
}
