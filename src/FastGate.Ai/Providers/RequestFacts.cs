namespace FastGate.Ai.Providers;

/// <summary>What the stage needs to know of a client's request, read once from its body.</summary>
public struct RequestFacts
{
    /// <summary>Where the requested model name lies in the pivot request (its UTF-8 bytes, unescaped by the front when it had escapes).</summary>
    public int ModelStart;
    public int ModelLength;
    /// <summary>The client asked for a stream.</summary>
    public bool Stream;
    /// <summary>An OpenAI client asked for usage on its stream (<c>stream_options.include_usage</c>): the usage chunk stays in what it sees.</summary>
    public bool ClientWantsUsage;
    /// <summary><c>max_tokens</c> / <c>max_completion_tokens</c>, 0 when absent.</summary>
    public long MaxTokens;
    /// <summary>OpenAI chat's <c>n</c>, the choices asked for; 0 when absent (one). Providers that can give several (Gemini's <c>candidateCount</c>) read it.</summary>
    public int Choices;
    /// <summary>An embeddings client asked for <c>encoding_format: "base64"</c>: vectors go back as base64 float32 bytes whatever the provider sent.</summary>
    public bool EmbeddingsAsBase64;
    /// <summary>Where the OpenAI writer's members lie in the pivot, when the OpenAI front wrote it and could tell.</summary>
    public PivotLayout Layout;
}
