using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace FastGate.Ai.Metering;

/// <summary>
/// The answer to a <see cref="UsageQuery"/>: the matching records summed per group, and in
/// total. Built by one pass over the ledger; memory grows with the groups, not the records.
/// </summary>
public sealed class UsageReport
{
    private readonly UsageQuery _query;
    private readonly Dictionary<string, (string[] Key, UsageTotals Totals)> _groups = new(StringComparer.Ordinal);

    public UsageReport(UsageQuery query) => _query = query;

    public UsageTotals Totals { get; } = new();

    public static UsageReport Build(UsageQuery query, IEnumerable<UsageRecord> records)
    {
        var report = new UsageReport(query);
        foreach (var record in records)
        {
            report.Add(record);
        }
        return report;
    }

    public void Add(in UsageRecord record)
    {
        if (!_query.Matches(record))
        {
            return;
        }
        var fields = _query.GroupBy;
        var key = new string[fields.Count];
        for (var i = 0; i < key.Length; i++)
        {
            key[i] = fields[i] switch
            {
                UsageGroupField.Consumer => record.Consumer ?? "",
                UsageGroupField.Model => record.ModelAsked ?? "",
                UsageGroupField.Provider => record.Provider ?? "",
                UsageGroupField.Route => record.Route ?? "",
                _ => DateTimeOffset.FromUnixTimeMilliseconds(record.UnixMs).UtcDateTime.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
            };
        }
        // '\0' cannot occur in a name from the config or a JSON string we accepted unescaped; it separates the parts.
        var joined = string.Join('\0', key);
        if (!_groups.TryGetValue(joined, out var group))
        {
            _groups[joined] = group = (key, new UsageTotals());
        }
        group.Totals.Add(record);
        Totals.Add(record);
    }

    /// <summary>The groups in the order of their key fields (ordinal).</summary>
    public IEnumerable<(IReadOnlyList<string> Key, UsageTotals Totals)> Groups =>
        _groups.OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => ((IReadOnlyList<string>)g.Value.Key, g.Value.Totals));

    public string ToJson()
    {
        using var stream = new MemoryStream();
        using (var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            json.WriteStartObject();
            WriteTime(json, "from", _query.From);
            WriteTime(json, "to", _query.To);
            json.WriteStartArray("group_by");
            foreach (var field in _query.GroupBy)
            {
                json.WriteStringValue(UsageQuery.FieldName(field));
            }
            json.WriteEndArray();
            json.WriteStartArray("groups");
            foreach (var (key, totals) in Groups)
            {
                json.WriteStartObject();
                for (var i = 0; i < key.Count; i++)
                {
                    json.WriteString(UsageQuery.FieldName(_query.GroupBy[i]), key[i]);
                }
                totals.WriteTo(json);
                json.WriteEndObject();
            }
            json.WriteEndArray();
            json.WriteStartObject("totals");
            Totals.WriteTo(json);
            json.WriteEndObject();
            json.WriteEndObject();
        }
        return Encoding.UTF8.GetString(stream.ToArray()) + "\n";
    }

    private static void WriteTime(Utf8JsonWriter json, string name, DateTimeOffset? time)
    {
        if (time is { } value)
        {
            json.WriteString(name, value.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.FFF'Z'", CultureInfo.InvariantCulture));
        }
        else
        {
            json.WriteNull(name);
        }
    }
}
