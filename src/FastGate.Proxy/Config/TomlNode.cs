namespace FastGate.Proxy.Config;

/// <summary>
/// A value of the parsed file together with where it was written. Tomlyn's own object model keeps
/// key positions only; errors about a value ("expected a string, got integer", a bad duration, the
/// second of two duplicate names) must point at the value itself, so the loader reads this tree.
/// </summary>
internal abstract class TomlNode(SourcePosition position)
{
    public SourcePosition Position { get; } = position;

    /// <summary>The TOML type as users know it: "string", "integer", "array", "table"...</summary>
    public abstract string TypeName { get; }
}
