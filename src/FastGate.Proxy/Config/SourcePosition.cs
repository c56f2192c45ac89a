using Tomlyn.Syntax;

namespace FastGate.Proxy.Config;

/// <summary>A 1-based line and column in the config file.</summary>
internal readonly record struct SourcePosition(int Line, int Column)
{
    public static readonly SourcePosition Start = new(1, 1);

    /// <summary>Tomlyn counts from zero; people and editors count from one.</summary>
    public static SourcePosition From(TextPosition position) => new(position.Line + 1, position.Column + 1);
}
