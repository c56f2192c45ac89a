using System.Globalization;

namespace FastGate.Ai.Metering;

/// <summary>
/// A parsed <c>GET /usage</c> query: <c>from</c> and <c>to</c> (RFC 3339, a date, or Unix
/// seconds; from inclusive, to exclusive, on the time the exchange ended; default: all),
/// <c>group_by</c> (a comma list of consumer, model, provider, route, day; default
/// consumer,model; empty: one group of everything) and the exact-match filters
/// <c>consumer</c>, <c>model</c> (the name asked for), <c>provider</c>, <c>route</c>.
/// </summary>
public sealed record UsageQuery
{
    private static readonly string[] Names = ["from", "to", "group_by", "consumer", "model", "provider", "route"];

    public DateTimeOffset? From { get; init; }
    public DateTimeOffset? To { get; init; }
    public IReadOnlyList<UsageGroupField> GroupBy { get; init; } = [UsageGroupField.Consumer, UsageGroupField.Model];
    public string? Consumer { get; init; }
    public string? Model { get; init; }
    public string? Provider { get; init; }
    public string? Route { get; init; }

    /// <summary>Parses a raw query string (after '?', percent-encoded); false with a message a user can act on.</summary>
    public static bool TryParse(string query, out UsageQuery parsed, out string error)
    {
        parsed = new UsageQuery();
        error = "";
        foreach (var pair in query.Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var equals = pair.IndexOf('=');
            var name = Decode(equals < 0 ? pair : pair[..equals]);
            var value = equals < 0 ? "" : Decode(pair[(equals + 1)..]);
            switch (name)
            {
                case "from" or "to":
                    if (!TryParseTime(value, out var time))
                    {
                        error = $"{name}: '{value}' is neither an RFC 3339 time (2026-01-31T00:00:00Z), a date (2026-01-31) nor Unix seconds";
                        return false;
                    }
                    parsed = name == "from" ? parsed with { From = time } : parsed with { To = time };
                    break;
                case "group_by":
                    var fields = new List<UsageGroupField>();
                    foreach (var field in value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                    {
                        if (!TryParseField(field, out var parsedField))
                        {
                            error = $"group_by: unknown field '{field}' (known: consumer, model, provider, route, day)";
                            return false;
                        }
                        if (!fields.Contains(parsedField))
                        {
                            fields.Add(parsedField);
                        }
                    }
                    parsed = parsed with { GroupBy = fields };
                    break;
                case "consumer":
                    parsed = parsed with { Consumer = value };
                    break;
                case "model":
                    parsed = parsed with { Model = value };
                    break;
                case "provider":
                    parsed = parsed with { Provider = value };
                    break;
                case "route":
                    parsed = parsed with { Route = value };
                    break;
                default:
                    error = $"unknown parameter '{name}' (known: {string.Join(", ", Names)})";
                    return false;
            }
        }
        if (parsed.From is { } from && parsed.To is { } to && from > to)
        {
            error = $"from ({from:O}) is after to ({to:O})";
            return false;
        }
        return true;
    }

    /// <summary>Whether <paramref name="record"/> is in the time range and passes the filters.</summary>
    public bool Matches(in UsageRecord record)
    {
        if (From is { } from && record.UnixMs < from.ToUnixTimeMilliseconds())
        {
            return false;
        }
        if (To is { } to && record.UnixMs >= to.ToUnixTimeMilliseconds())
        {
            return false;
        }
        return (Consumer is null || Consumer == record.Consumer)
            && (Model is null || Model == record.ModelAsked)
            && (Provider is null || Provider == record.Provider)
            && (Route is null || Route == record.Route);
    }

    public static string FieldName(UsageGroupField field) => field switch
    {
        UsageGroupField.Consumer => "consumer",
        UsageGroupField.Model => "model",
        UsageGroupField.Provider => "provider",
        UsageGroupField.Route => "route",
        _ => "day",
    };

    private static bool TryParseField(string name, out UsageGroupField field)
    {
        foreach (var candidate in Enum.GetValues<UsageGroupField>())
        {
            if (FieldName(candidate) == name)
            {
                field = candidate;
                return true;
            }
        }
        field = default;
        return false;
    }

    private static bool TryParseTime(string value, out DateTimeOffset time)
    {
        time = default;
        if (value.Length == 0)
        {
            return false;
        }
        if (decimal.TryParse(value, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var seconds))
        {
            if (seconds > 253402300799m)
            {
                return false;
            }
            time = DateTimeOffset.FromUnixTimeMilliseconds((long)(seconds * 1000));
            return true;
        }
        string[] formats = ["yyyy-MM-dd'T'HH:mm:ssK", "yyyy-MM-dd'T'HH:mm:ss.FFFFFFFK", "yyyy-MM-dd"];
        return DateTimeOffset.TryParseExact(value, formats, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out time)
            && (value.Length == 10 || value.EndsWith('Z') || value.EndsWith("z", StringComparison.Ordinal) || value.LastIndexOfAny(['+', '-']) > 10);
    }

    private static string Decode(string text) => Uri.UnescapeDataString(text.Replace('+', ' '));
}
