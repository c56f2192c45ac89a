using System.Text;
using FastGate.Proxy.Routing;

namespace FastGate.Proxy.Tests.Routing;

/// <summary>Header fields as name/value pairs; names compared case-insensitively, as on the wire.</summary>
internal readonly struct TestHeaders(List<KeyValuePair<string, string>> pairs) : IRequestHeaderLookup
{
    private readonly List<KeyValuePair<string, string>>? _pairs = pairs;

    public static TestHeaders None => new([]);

    public static TestHeaders Of(params (string Name, string Value)[] fields) =>
        new([.. fields.Select(f => KeyValuePair.Create(f.Name, f.Value))]);

    public bool TryGetValue(ReadOnlySpan<byte> nameLower, out ReadOnlySpan<byte> value)
    {
        string name = Encoding.ASCII.GetString(nameLower);
        foreach ((string n, string v) in _pairs ?? [])
        {
            if (string.Equals(n, name, StringComparison.OrdinalIgnoreCase))
            {
                value = Encoding.UTF8.GetBytes(v.Trim(' ', '\t'));
                return true;
            }
        }

        value = default;
        return false;
    }
}
