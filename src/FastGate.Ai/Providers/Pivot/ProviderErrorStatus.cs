using System.Text;
using System.Text.Unicode;

namespace FastGate.Ai.Providers.Pivot;

/// <summary>
/// The error type that goes with the status a client sees (the names OpenAI's and Anthropic's
/// error bodies share), and the status policy of the providers without an error vocabulary of
/// their own (Gemini, Ollama). OpenAI and Anthropic keep their own status policies beside their
/// error shapes and take the types from here.
/// </summary>
internal static class ProviderErrorStatus
{
    /// <summary>
    /// Statuses that mean the same to the client keep their number (400, 401, 403, 404, 413, 429);
    /// a provider's 5xx is the gateway's upstream failing (502), except overload (503) and timeout
    /// (504, and a 408 the provider gave up with), which tell an SDK to retry later.
    /// </summary>
    public static AiError Map(int status, string message)
    {
        var clientStatus = status switch
        {
            400 or 401 or 403 or 404 or 413 or 429 or 503 or 504 => status,
            408 => 504,
            >= 400 and < 500 => 400,
            _ => 502,
        };
        return new AiError(clientStatus, TypeFor(clientStatus), message);
    }

    /// <summary>The error type for the status the client sees; 529 is Anthropic's overloaded.</summary>
    public static string TypeFor(int clientStatus) => clientStatus switch
    {
        401 => "authentication_error",
        403 => "permission_error",
        404 => "not_found_error",
        408 or 504 => "timeout_error",
        429 => "rate_limit_error",
        503 or 529 => "overloaded_error",
        >= 500 => "api_error",
        _ => "invalid_request_error",
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
