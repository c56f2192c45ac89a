namespace FastGate.Ai.Providers;

/// <summary>The API a client called on an AI route, by path.</summary>
public enum ClientApi : byte
{
    /// <summary><c>POST /v1/chat/completions</c>: the internal pivot shape.</summary>
    OpenAiChat,
    /// <summary><c>POST /v1/embeddings</c>.</summary>
    OpenAiEmbeddings,
    /// <summary><c>POST /v1/responses</c>: passed to OpenAI-kind providers as it is, and metered.</summary>
    OpenAiResponses,
    /// <summary><c>POST /v1/messages</c>.</summary>
    AnthropicMessages,
    /// <summary><c>POST /v1/messages/count_tokens</c>.</summary>
    AnthropicCountTokens,
}
