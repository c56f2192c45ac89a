using System.Runtime.CompilerServices;

namespace FastGate.Proxy.Config;

/// <summary>
/// Typed access to the positioned TOML tree. Every accessor reports its own errors (wrong type,
/// bad value) at the value's position and returns null, so section code only decides what a key
/// means and the loader can go on and find the file's other errors in the same pass.
/// The accessors a large file calls per route are compiled optimized at once: a load calls each
/// of them up to 100,000 times within a second, before tiered compilation would promote them.
/// </summary>
internal sealed class ConfigReader(string file, string baseDirectory)
{
    private readonly List<ConfigError> _errors = [];

    public IReadOnlyList<ConfigError> Errors => _errors;

    public string BaseDirectory { get; } = baseDirectory;

    public void Error(SourcePosition at, string message) => _errors.Add(new ConfigError(file, at.Line, at.Column, message));

    /// <summary>Paths in the file are relative to the file's folder, not to the working directory.</summary>
    public string ResolvePath(string path) => Path.GetFullPath(path, BaseDirectory);

    /// <summary>Reports every key of <paramref name="table"/> that is not in <paramref name="known"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void CheckKeys(TomlTableNode table, string context, IReadOnlyCollection<string> known)
    {
        foreach (var entry in table.Entries)
        {
            if (known.Contains(entry.Key))
            {
                continue;
            }

            var suggestion = EditDistance.Closest(entry.Key, known);
            Error(entry.KeyPosition, suggestion is null
                ? $"unknown key '{entry.Key}' in {context}"
                : $"unknown key '{entry.Key}' in {context}; did you mean '{suggestion}'?");
        }
    }

    public void Missing(TomlTableNode table, string key, string context) =>
        Error(table.Position, $"missing required key '{key}' in {context}");

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public TomlTableNode? Table(TomlTableNode parent, string key)
    {
        var entry = parent.Find(key);
        if (entry is null)
        {
            return null;
        }

        if (entry.Value is TomlTableNode table)
        {
            return table;
        }

        TypeError(key, "a table", entry.Value);
        return null;
    }

    /// <summary><c>[[key]]</c> headers, or an array of inline tables, which TOML treats alike.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public IReadOnlyList<TomlTableNode> Tables(TomlTableNode parent, string key)
    {
        var entry = parent.Find(key);
        switch (entry?.Value)
        {
            case null:
                return [];
            case TomlTableArrayNode array:
                return array.Tables;
            case TomlArrayNode array when array.Items.All(item => item is TomlTableNode):
                return array.Items.Cast<TomlTableNode>().ToList();
            default:
                TypeError(key, $"an array of tables ([[{key}]])", entry.Value);
                return [];
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public LocatedString? String(TomlTableNode table, string key)
    {
        var entry = table.Find(key);
        if (entry is null)
        {
            return null;
        }

        if (entry.Value is TomlScalar { Value: string value })
        {
            return new LocatedString(value, entry.Value.Position);
        }

        TypeError(key, "a string", entry.Value);
        return null;
    }

    /// <summary>A string, or an array of strings; both spellings mean a list.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public IReadOnlyList<LocatedString>? StringList(TomlTableNode table, string key)
    {
        var entry = table.Find(key);
        switch (entry?.Value)
        {
            case null:
                return null;
            case TomlScalar { Value: string value }:
                return [new LocatedString(value, entry.Value.Position)];
            case TomlArrayNode array:
                var list = new List<LocatedString>();
                bool ok = true;
                foreach (var item in array.Items)
                {
                    if (item is TomlScalar { Value: string s })
                    {
                        list.Add(new LocatedString(s, item.Position));
                    }
                    else
                    {
                        Error(item.Position, $"expected a string in '{key}', got {item.TypeName}");
                        ok = false;
                    }
                }

                return ok ? list : null;
            default:
                TypeError(key, "a string or an array of strings", entry.Value);
                return null;
        }
    }

    /// <summary>
    /// An array of strings and nothing else, for keys documented as arrays: accepting a lone
    /// string there would make <c>endpoints = "a:1, b:2"</c> one bad address instead of a clear error.
    /// </summary>
    public IReadOnlyList<LocatedString>? StringArray(TomlTableNode table, string key, string expected)
    {
        var entry = table.Find(key);
        if (entry is null)
        {
            return null;
        }

        if (entry.Value is not TomlArrayNode)
        {
            TypeError(key, expected, entry.Value);
            return null;
        }

        return StringList(table, key);
    }

    public bool? Boolean(TomlTableNode table, string key)
    {
        var entry = table.Find(key);
        if (entry is null)
        {
            return null;
        }

        if (entry.Value is TomlScalar { Value: bool value })
        {
            return value;
        }

        TypeError(key, "a boolean", entry.Value);
        return null;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public long? Integer(TomlTableNode table, string key, long min, long max)
    {
        var entry = table.Find(key);
        if (entry is null)
        {
            return null;
        }

        if (entry.Value is not TomlScalar { Value: long value })
        {
            TypeError(key, "an integer", entry.Value);
            return null;
        }

        if (value < min || value > max)
        {
            Error(entry.Value.Position, max == long.MaxValue
                ? $"'{key}' must be at least {min}, got {value}"
                : $"'{key}' must be between {min} and {max}, got {value}");
            return null;
        }

        return value;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public TimeSpan? Duration(TomlTableNode table, string key, bool allowZero = false)
    {
        var entry = table.Find(key);
        if (entry is null)
        {
            return null;
        }

        if (entry.Value is not TomlScalar { Value: string text })
        {
            TypeError(key, "a duration string like \"10s\"", entry.Value);
            return null;
        }

        if (!DurationParser.TryParse(text, out var value, out var error))
        {
            Error(entry.Value.Position, $"{error} for '{key}'");
            return null;
        }

        if (value == TimeSpan.Zero && !allowZero)
        {
            Error(entry.Value.Position, $"'{key}' must be greater than zero");
            return null;
        }

        return value;
    }

    /// <summary>A share written as a string ("20%") or a bare integer percent, 0 to 100.</summary>
    public int? Percent(TomlTableNode table, string key)
    {
        var entry = table.Find(key);
        if (entry is null)
        {
            return null;
        }

        long value;
        switch (entry.Value)
        {
            case TomlScalar { Value: long number }:
                value = number;
                break;
            case TomlScalar { Value: string text } when text.EndsWith('%')
                && long.TryParse(text.AsSpan(0, text.Length - 1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var parsed):
                value = parsed;
                break;
            default:
                TypeError(key, "a percentage like \"20%\"", entry.Value);
                return null;
        }

        if (value is < 0 or > 100)
        {
            Error(entry.Value.Position, $"'{key}' must be between 0% and 100%, got {value}%");
            return null;
        }

        return (int)value;
    }

    /// <summary>A size string ("64KiB") or a bare integer count of bytes.</summary>
    public long? Size(TomlTableNode table, string key, long min, long max) =>
        ReadSize(table, key, min, max, perSecond: false);

    /// <summary>
    /// A rate written as a size per second: "240B", "1KiB/s", or a bare integer of bytes. The "/s"
    /// is optional: the unit of time is always the second.
    /// </summary>
    public long? Rate(TomlTableNode table, string key, long min, long max) =>
        ReadSize(table, key, min, max, perSecond: true);

    private long? ReadSize(TomlTableNode table, string key, long min, long max, bool perSecond)
    {
        var entry = table.Find(key);
        if (entry is null)
        {
            return null;
        }

        long value;
        switch (entry.Value)
        {
            case TomlScalar { Value: long bytes }:
                value = bytes;
                break;
            case TomlScalar { Value: string text }:
                var size = perSecond && text.EndsWith("/s", StringComparison.Ordinal) ? text[..^2] : text;
                if (!SizeParser.TryParse(size, out value, out var error))
                {
                    Error(entry.Value.Position, perSecond
                        ? $"{error} for '{key}' (a size per second like \"240B\" or \"1KiB/s\"; \"0\" for none)"
                        : $"{error} for '{key}'");
                    return null;
                }

                break;
            default:
                TypeError(key, perSecond ? "a size per second like \"240B\"" : "a size like \"64KiB\" or a number of bytes", entry.Value);
                return null;
        }

        if (value < min || value > max)
        {
            Error(entry.Value.Position, $"'{key}' must be between {min} and {max} bytes{(perSecond ? " per second" : "")}, got {value}");
            return null;
        }

        return value;
    }

    /// <summary>A keyword from a fixed set, e.g. lb = "round_robin".</summary>
    public T? Choice<T>(TomlTableNode table, string key, IReadOnlyDictionary<string, T> choices)
        where T : struct
    {
        var text = String(table, key);
        if (text is null)
        {
            return null;
        }

        if (choices.TryGetValue(text.Value, out var value))
        {
            return value;
        }

        // A near miss ("roundrobin") is far more common than a wrong idea: name the likely intent first.
        var allowed = string.Join(", ", choices.Keys);
        var suggestion = EditDistance.Closest(text.Value, choices.Keys);
        Error(text.At, suggestion is null
            ? $"invalid value '{text.Value}' for '{key}'; expected one of: {allowed}"
            : $"invalid value '{text.Value}' for '{key}'; did you mean '{suggestion}'? expected one of: {allowed}");
        return null;
    }

    /// <summary>A secret: a literal, "env:NAME" or "file:PATH", resolved now so a missing one fails the load.</summary>
    public string? Secret(TomlTableNode table, string key)
    {
        var text = String(table, key);
        if (text is null)
        {
            return null;
        }

        if (!SecretResolver.TryResolve(text.Value, BaseDirectory, out var value, out var error))
        {
            Error(text.At, $"{error} for '{key}'");
            return null;
        }

        return value;
    }

    /// <summary>A path to a file that must exist now, resolved against the config file's folder.</summary>
    public string? ExistingFile(TomlTableNode table, string key)
    {
        var text = String(table, key);
        if (text is null)
        {
            return null;
        }

        if (text.Value.Length == 0)
        {
            Error(text.At, $"'{key}' must not be empty");
            return null;
        }

        var path = ResolvePath(text.Value);
        if (!File.Exists(path))
        {
            Error(text.At, $"file not found for '{key}': {path}");
            return null;
        }

        return path;
    }

    private void TypeError(string key, string expected, TomlNode actual) =>
        Error(actual.Position, $"expected {expected} for '{key}', got {actual.TypeName}");

    /// <summary>Names of listeners, routes and clusters appear in logs and metric labels.</summary>
    public static bool IsValidName(string name) =>
        name.Length is > 0 and <= 64 && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.');

    public const string NameRule = "use 1 to 64 letters, digits, '-', '_' or '.'";

    /// <summary>
    /// One entry of a <c>[KIND.NAME]</c> group (clusters, consumers, providers): true with its table
    /// when the name keeps <see cref="NameRule"/> and the value is a table; otherwise the error is
    /// reported and the entry is to be skipped.
    /// </summary>
    public bool TryNamedTable(TomlEntry entry, string kind, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out TomlTableNode? table)
    {
        var name = entry.Key;
        table = null;
        if (!IsValidName(name))
        {
            Error(entry.KeyPosition, $"invalid {kind} name '{name}': {NameRule}");
            return false;
        }
        if (entry.Value is not TomlTableNode value)
        {
            Error(entry.Value.Position, $"expected a table for {kind} '{name}' ([{kind}.{name}]), got {entry.Value.TypeName}");
            return false;
        }
        table = value;
        return true;
    }
}
