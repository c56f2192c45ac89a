namespace FastGate.Proxy.Config;

/// <summary>An array of tables: every <c>[[name]]</c> header with the same name, in file order.</summary>
internal sealed class TomlTableArrayNode(SourcePosition position) : TomlNode(position)
{
    public List<TomlTableNode> Tables { get; } = [];

    public override string TypeName => "array of tables";
}
