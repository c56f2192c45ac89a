using System.Text;
using System.Text.Unicode;

namespace FastGate.Ai.Providers.Pivot;

/// <summary>
/// A provider's HTTP status as the status and error type the client sees. Statuses that mean
/// the same to the client keep their number (400, 401, 403, 404, 413, 429); a provider's 5xx is
/// the gateway's upstream failing (502), except overload (503) and timeout (504), which tell an
/// SDK to retry later.
/// </summary>
internal static class ProviderErrorStatus
{
    public static AiError Map(int status, string message) => status switch
    {
        400 => new AiError(400, "invalid_request_error", message),
        401 => new AiError(401, "authentication_error", message),
        403 => new AiError(403, "permission_error", message),
        404 => new AiError(404, "not_found_error", message),
        408 => new AiError(504, "timeout_error", message),
        413 => new AiError(413, "invalid_request_error", message),
        429 => new AiError(429, "rate_limit_error", message),
        503 => new AiError(503, "overloaded_error", message),
        504 => new AiError(504, "timeout_error", message),
        >= 400 and < 500 => new AiError(400, "invalid_request_error", message),
        _ => new AiError(502, "api_error", message),
    };

    /// <summary>The message to give when the provider's body says nothing readable: its status, and its text when short and printable.</summary>
    public static string Fallback(string provider, int status, ReadOnlySpan<byte> body)
    {
        var text = body.Trim(" \t\r\n"u8);
        if (!text.IsEmpty && text.Length <= 256 && Utf8.IsValid(text) && text.IndexOfAnyInRange((byte)0, (byte)0x1F) < 0)
        {
            return $"{provider} answered HTTP {status}: {Encoding.UTF8.GetString(text)}";
        }
        return $"{provider} answered HTTP {status}";
    }
}
