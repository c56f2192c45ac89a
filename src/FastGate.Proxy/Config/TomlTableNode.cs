using System.Runtime.CompilerServices;

namespace FastGate.Proxy.Config;

/// <summary>
/// A table (<c>[name]</c>, an array-of-tables element, an inline table or one made implicitly by a
/// dotted key). Entries keep file order so errors come out in the order they were written.
/// </summary>
internal sealed class TomlTableNode(SourcePosition position) : TomlNode(position)
{
    private readonly List<TomlEntry> _entries = [];

    public IReadOnlyList<TomlEntry> Entries => _entries;

    public override string TypeName => "table";

    // Tables are small (a dozen keys): a linear search is clearer than a second index. Optimized at
    // once, like the reader: a large config calls it a million times in one pass.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public TomlEntry? Find(string key)
    {
        foreach (var entry in _entries)
        {
            if (entry.Key == key)
            {
                return entry;
            }
        }

        return null;
    }

    public void Add(TomlEntry entry) => _entries.Add(entry);
}
