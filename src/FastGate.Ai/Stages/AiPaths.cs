using FastGate.Ai.Providers;

namespace FastGate.Ai.Stages;

/// <summary>The client APIs an AI route serves, by path.</summary>
public static class AiPaths
{
    public static bool TryMap(ReadOnlySpan<byte> path, out ClientApi api)
    {
        if (path.Length > 1 && path[^1] == (byte)'/')
        {
            path = path[..^1];
        }
        if (path.SequenceEqual("/v1/chat/completions"u8))
        {
            api = ClientApi.OpenAiChat;
        }
        else if (path.SequenceEqual("/v1/messages"u8))
        {
            api = ClientApi.AnthropicMessages;
        }
        else if (path.SequenceEqual("/v1/embeddings"u8))
        {
            api = ClientApi.OpenAiEmbeddings;
        }
        else if (path.SequenceEqual("/v1/responses"u8))
        {
            api = ClientApi.OpenAiResponses;
        }
        else if (path.SequenceEqual("/v1/messages/count_tokens"u8))
        {
            api = ClientApi.AnthropicCountTokens;
        }
        else
        {
            api = default;
            return false;
        }
        return true;
    }

    /// <summary>
    /// The API the adapters are asked for: what the pivot is. A Messages client's request is an
    /// OpenAI chat request once its front has read it, whatever provider it goes to.
    /// </summary>
    public static ClientApi Upstream(ClientApi api) => api == ClientApi.AnthropicMessages ? ClientApi.OpenAiChat : api;

    public static string Describe(ClientApi api) => api switch
    {
        ClientApi.OpenAiChat => "/v1/chat/completions",
        ClientApi.OpenAiEmbeddings => "/v1/embeddings",
        ClientApi.OpenAiResponses => "/v1/responses",
        ClientApi.AnthropicMessages => "/v1/messages",
        _ => "/v1/messages/count_tokens",
    };
}
