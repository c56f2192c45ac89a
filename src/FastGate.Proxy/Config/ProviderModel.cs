namespace FastGate.Proxy.Config;

/// <summary>A validated <c>[provider.NAME]</c>: an LLM provider the AI routes reach.</summary>
public sealed record ProviderModel
{
    public required string Name { get; init; }
    public required ProviderKind Kind { get; init; }
    /// <summary>Scheme, host, port and an optional path prefix, for example <c>https://api.openai.com</c>.</summary>
    public required Uri BaseUrl { get; init; }
    /// <summary>The API keys, resolved from <c>env:</c>/<c>file:</c> references; requests spread across them. Never logged or shown.</summary>
    public IReadOnlyList<string> ApiKeys { get; init; } = [];
    /// <summary><c>api_version</c>: Azure OpenAI's api-version query value; Anthropic's anthropic-version header.</summary>
    public string? ApiVersion { get; init; }
    /// <summary>The cluster the loader made for the provider's base URL (its name; TLS when https).</summary>
    public required string Cluster { get; init; }
    /// <summary><c>timeout</c>: the response head must arrive within this.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(120);
}
