namespace FastGate.Ai.Providers;

/// <summary>
/// An error to give the client in its protocol's shape: an HTTP status, an error type of the
/// OpenAI/Anthropic vocabulary (<c>invalid_request_error</c>, <c>authentication_error</c>,
/// <c>not_found_error</c>, <c>rate_limit_error</c>, <c>api_error</c>, <c>overloaded_error</c>,
/// <c>timeout_error</c>) and a message for people. Errors are rare: strings are fine here.
/// </summary>
public readonly record struct AiError(int Status, string Type, string Message);
