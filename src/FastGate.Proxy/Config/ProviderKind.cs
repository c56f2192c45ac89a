namespace FastGate.Proxy.Config;

/// <summary>The API shape of an LLM provider (<c>kind</c> of a <c>[provider.NAME]</c>).</summary>
public enum ProviderKind : byte
{
    OpenAi,
    AzureOpenAi,
    Anthropic,
    Gemini,
    Ollama,
    OpenAiCompatible,
}
