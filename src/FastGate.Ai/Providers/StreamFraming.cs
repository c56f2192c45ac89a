namespace FastGate.Ai.Providers;

/// <summary>How a provider frames a streamed answer.</summary>
public enum StreamFraming : byte
{
    /// <summary><c>text/event-stream</c> (OpenAI, Anthropic, Gemini with <c>alt=sse</c>).</summary>
    Sse,
    /// <summary>One JSON object per line (Ollama).</summary>
    NdJson,
}
