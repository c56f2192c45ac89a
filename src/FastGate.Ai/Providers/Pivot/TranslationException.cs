namespace FastGate.Ai.Providers.Pivot;

/// <summary>
/// A request the provider cannot be given (a tool result for no earlier tool call, an image URL
/// the provider cannot fetch): thrown deep in a translation, caught at its entry and returned as
/// a 400. Only invalid input takes this path.
/// </summary>
internal sealed class TranslationException(string message) : Exception(message);
