namespace FastGate.Proxy.Config;

/// <summary>A validated <c>[[model]]</c>: what clients ask for, and the provider/model targets tried in order.</summary>
public sealed record ModelMapModel
{
    /// <summary>An exact model name, or a pattern with <c>*</c> (<c>claude-*</c>).</summary>
    public required string Name { get; init; }
    public required IReadOnlyList<ModelTargetModel> Targets { get; init; }
    /// <summary>Prices in USD per million tokens; zero when not configured.</summary>
    public ModelPriceModel Price { get; init; } = new();
}

/// <summary>One <c>provider/model</c> target of a <c>[[model]]</c>. <see cref="Model"/> "*" means the name the client asked for.</summary>
public sealed record ModelTargetModel(string Provider, string Model);

/// <summary>USD per million input, cached input and output tokens.</summary>
public sealed record ModelPriceModel
{
    public decimal Input { get; init; }
    public decimal CachedInput { get; init; }
    public decimal Output { get; init; }
}
