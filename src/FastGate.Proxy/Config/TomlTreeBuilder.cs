using Tomlyn.Syntax;

namespace FastGate.Proxy.Config;

/// <summary>
/// Turns Tomlyn's syntax tree into a <see cref="TomlTableNode"/> tree with the position of every
/// key and value. Runs only on documents Tomlyn has validated, so redefinitions and type clashes
/// (a key used both as a value and as a table) cannot occur here.
/// </summary>
internal static class TomlTreeBuilder
{
    public static TomlTableNode Build(DocumentSyntax document)
    {
        var root = new TomlTableNode(SourcePosition.Start);
        foreach (var keyValue in document.KeyValues)
        {
            AddKeyValue(root, keyValue);
        }

        foreach (var table in document.Tables)
        {
            var path = Segments(table.Name!);
            var parent = root;
            for (int i = 0; i < path.Count - 1; i++)
            {
                parent = Descend(parent, path[i]);
            }

            var (name, namePosition) = path[^1];
            var headerPosition = SourcePosition.From(table.Span.Start);
            var existing = parent.Find(name);
            TomlTableNode current;
            if (table is TableArraySyntax)
            {
                var array = existing?.Value as TomlTableArrayNode;
                if (array is null)
                {
                    array = new TomlTableArrayNode(headerPosition);
                    parent.Add(new TomlEntry(name, namePosition, array));
                }

                current = new TomlTableNode(headerPosition);
                array.Tables.Add(current);
            }
            else if (existing?.Value is TomlTableNode implicitTable)
            {
                // [a.b] came before [a]: the table already exists, implicitly.
                current = implicitTable;
            }
            else
            {
                current = new TomlTableNode(headerPosition);
                parent.Add(new TomlEntry(name, namePosition, current));
            }

            foreach (var keyValue in table.Items)
            {
                AddKeyValue(current, keyValue);
            }
        }

        return root;
    }

    private static void AddKeyValue(TomlTableNode table, KeyValueSyntax keyValue)
    {
        var path = Segments(keyValue.Key!);
        for (int i = 0; i < path.Count - 1; i++)
        {
            table = Descend(table, path[i]);
        }

        var (name, position) = path[^1];
        table.Add(new TomlEntry(name, position, Convert(keyValue.Value!)));
    }

    private static TomlTableNode Descend(TomlTableNode parent, (string Name, SourcePosition Position) segment)
    {
        var entry = parent.Find(segment.Name);
        switch (entry?.Value)
        {
            case null:
                var table = new TomlTableNode(segment.Position);
                parent.Add(new TomlEntry(segment.Name, segment.Position, table));
                return table;
            case TomlTableNode existing:
                return existing;
            case TomlTableArrayNode array when array.Tables.Count > 0:
                // [listener.tls] after [[listener]] belongs to the last listener.
                return array.Tables[^1];
            default:
                throw new InvalidOperationException($"key '{segment.Name}' is not a table");
        }
    }

    private static TomlNode Convert(ValueSyntax value)
    {
        var position = SourcePosition.From(value.Span.Start);
        switch (value)
        {
            case StringValueSyntax s:
                return new TomlScalar(position, s.Value!, "string");
            case IntegerValueSyntax i:
                return new TomlScalar(position, i.Value, "integer");
            case FloatValueSyntax f:
                return new TomlScalar(position, f.Value, "float");
            case BooleanValueSyntax b:
                return new TomlScalar(position, b.Value, "boolean");
            case DateTimeValueSyntax d:
                return new TomlScalar(position, d.Value, "datetime");
            case ArraySyntax a:
                var items = new List<TomlNode>();
                foreach (var item in a.Items)
                {
                    items.Add(Convert(item.Value!));
                }

                return new TomlArrayNode(position, items);
            case InlineTableSyntax t:
                var table = new TomlTableNode(position);
                foreach (var item in t.Items)
                {
                    AddKeyValue(table, item.KeyValue!);
                }

                return table;
            default:
                throw new InvalidOperationException($"unexpected TOML value {value.Kind}");
        }
    }

    private static List<(string Name, SourcePosition Position)> Segments(KeySyntax key)
    {
        var segments = new List<(string, SourcePosition)> { Segment(key.Key!) };
        foreach (var dotted in key.DotKeys)
        {
            segments.Add(Segment(dotted.Key!));
        }

        return segments;
    }

    private static (string Name, SourcePosition Position) Segment(BareKeyOrStringValueSyntax key)
    {
        string name = key switch
        {
            BareKeySyntax bare => bare.Key!.Text!,
            StringValueSyntax quoted => quoted.Value!,
            _ => throw new InvalidOperationException($"unexpected key syntax {key.Kind}"),
        };
        return (name, SourcePosition.From(key.Span.Start));
    }
}
