using FastGate.Ai.Providers.Anthropic;
using FastGate.Ai.Providers.Gemini;
using FastGate.Ai.Providers.Ollama;
using FastGate.Ai.Providers.OpenAi;
using FastGate.Proxy.Config;

namespace FastGate.Ai.Providers;

/// <summary>
/// Which translator speaks each provider kind and each client API: one stateless singleton per
/// kind and per API, looked up by index on every attempt. <see cref="Default"/> holds the
/// shipped ones; tests build a registry of their own.
/// </summary>
public sealed class AiCodecs
{
    private readonly ProviderAdapter?[] _adapters = new ProviderAdapter?[8];
    private readonly FrontCodec?[] _fronts = new FrontCodec?[8];

    public AiCodecs(IEnumerable<ProviderAdapter> adapters, IEnumerable<FrontCodec> fronts)
    {
        foreach (var adapter in adapters)
        {
            _adapters[(int)adapter.Kind] = adapter;
        }
        foreach (var front in fronts)
        {
            _fronts[(int)front.Api] = front;
        }
    }

    /// <summary>Every provider kind and client API FastGate ships.</summary>
    public static AiCodecs Default { get; } = new(
        [
            new OpenAiAdapter(ProviderKind.OpenAi),
            new OpenAiAdapter(ProviderKind.OpenAiCompatible),
            new AzureOpenAiAdapter(),
            new AnthropicAdapter(),
            new GeminiAdapter(),
            new OllamaAdapter(),
        ],
        [
            new OpenAiChatFront(),
            new OpenAiEmbeddingsFront(),
            new OpenAiResponsesFront(),
            new AnthropicMessagesFront(),
            new AnthropicCountTokensFront(),
        ]);

    /// <summary>The adapter for <paramref name="kind"/>; throws for a kind nothing speaks (a registry bug).</summary>
    public ProviderAdapter Adapter(ProviderKind kind) =>
        _adapters[(int)kind] ?? throw new InvalidOperationException($"no adapter for provider kind {kind}");

    public FrontCodec Front(ClientApi api) =>
        _fronts[(int)api] ?? throw new InvalidOperationException($"no front for {api}");

    public bool HasFront(ClientApi api) => _fronts[(int)api] is not null;
}
