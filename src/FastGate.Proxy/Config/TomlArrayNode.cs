namespace FastGate.Proxy.Config;

/// <summary>An array value: <c>[a, b]</c>.</summary>
internal sealed class TomlArrayNode(SourcePosition position, IReadOnlyList<TomlNode> items) : TomlNode(position)
{
    public IReadOnlyList<TomlNode> Items { get; } = items;

    public override string TypeName => "array";
}
