using FastGate.Proxy.Config;

namespace FastGate.Ai.Models;

/// <summary>One <c>[[model]]</c>: its name as bytes, its targets in fallback order, its prices.</summary>
public sealed record ModelEntry(ModelMapModel Model, byte[] NameUtf8, ModelTarget[] Targets)
{
    public ModelPriceModel Price => Model.Price;
}
