using System.Diagnostics.CodeAnalysis;

namespace FastGate.Proxy.Config;

/// <summary>
/// Parses config durations: whole numbers with a unit, <c>ms</c>, <c>s</c>, <c>m</c> or <c>h</c>,
/// optionally combined from the largest unit to the smallest ("1m30s", "1h5m", "2s500ms").
/// Fractions ("1.5s"), negatives, bare numbers and other units are rejected: a bare "30" could mean
/// seconds or milliseconds, and a typo must not silently become a different timeout.
/// </summary>
public static class DurationParser
{
    private const string Units = "use ms, s, m or h";

    public static bool TryParse(string text, out TimeSpan value, [NotNullWhen(false)] out string? error)
    {
        value = default;
        if (text.Length == 0)
        {
            error = "duration is empty";
            return false;
        }

        if (text[0] == '-')
        {
            error = $"duration '{text}' must not be negative";
            return false;
        }

        long totalMs = 0;
        int lastRank = int.MaxValue;
        int i = 0;
        while (i < text.Length)
        {
            int digitsStart = i;
            while (i < text.Length && char.IsAsciiDigit(text[i]))
            {
                i++;
            }

            if (i == digitsStart)
            {
                error = $"invalid duration '{text}': expected a number at '{text[i..]}'";
                return false;
            }

            if (i < text.Length && (text[i] == '.' || text[i] == ','))
            {
                error = $"invalid duration '{text}': fractions are not supported (write '1500ms', not '1.5s')";
                return false;
            }

            int unitStart = i;
            while (i < text.Length && char.IsAsciiLetter(text[i]))
            {
                i++;
            }

            var unit = text[unitStart..i];
            if (unit.Length == 0)
            {
                error = i < text.Length
                    ? $"invalid duration '{text}': unexpected '{text[i]}'"
                    : $"invalid duration '{text}': missing unit ({Units})";
                return false;
            }

            (long factor, int rank) = unit switch
            {
                "h" => (3_600_000L, 3),
                "m" => (60_000L, 2),
                "s" => (1_000L, 1),
                "ms" => (1L, 0),
                _ => (0L, -1),
            };
            if (rank < 0)
            {
                error = $"invalid duration '{text}': unknown unit '{unit}' ({Units})";
                return false;
            }

            if (rank >= lastRank)
            {
                error = $"invalid duration '{text}': units must go from largest to smallest, each once";
                return false;
            }

            lastRank = rank;
            if (!long.TryParse(text.AsSpan(digitsStart, unitStart - digitsStart), out long amount)
                || amount > long.MaxValue / factor / TimeSpan.TicksPerMillisecond
                || totalMs + amount * factor > long.MaxValue / TimeSpan.TicksPerMillisecond)
            {
                error = $"duration '{text}' is too large";
                return false;
            }

            totalMs += amount * factor;
        }

        value = TimeSpan.FromTicks(totalMs * TimeSpan.TicksPerMillisecond);
        error = null;
        return true;
    }
}
