namespace FastGate.Proxy.Config;

/// <summary>A string, integer, float, boolean or date-time value.</summary>
internal sealed class TomlScalar(SourcePosition position, object value, string typeName) : TomlNode(position)
{
    /// <summary>string, long, double, bool or Tomlyn's TomlDateTime.</summary>
    public object Value { get; } = value;

    public override string TypeName { get; } = typeName;
}
