namespace FastGate.Ai.Stages;

/// <summary>How the AI stage treats the response of the current attempt.</summary>
public enum AiResponseMode : byte
{
    /// <summary>No response yet (or answered locally).</summary>
    None,
    /// <summary>A whole 2xx body, held to its end and translated.</summary>
    Body,
    /// <summary>A non-2xx body of the last target, held to its end and given as the client protocol's error.</summary>
    Error,
    /// <summary>An SSE stream translated event by event.</summary>
    SseStream,
    /// <summary>An SSE stream passed to the client as it is (OpenAI chat to an OpenAI-kind provider, responses); usage read on the way.</summary>
    SsePassThrough,
    /// <summary>An NDJSON stream (Ollama) translated line by line.</summary>
    NdJsonStream,
}
