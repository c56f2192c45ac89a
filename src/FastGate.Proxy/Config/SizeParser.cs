using System.Diagnostics.CodeAnalysis;

namespace FastGate.Proxy.Config;

/// <summary>
/// Parses config sizes: a whole number with an optional unit. <c>B</c>, <c>KiB</c>, <c>MiB</c> and
/// <c>GiB</c> are binary (1 KiB = 1024 B); <c>KB</c>, <c>MB</c> and <c>GB</c> are decimal
/// (1 KB = 1000 B), as their SI names say. No unit means bytes. Units are case-sensitive so that
/// "kb" (kilobits to some readers) is an error rather than a guess.
/// </summary>
public static class SizeParser
{
    private const string Units = "use B, KiB, MiB, GiB, KB, MB or GB";

    public static bool TryParse(string text, out long bytes, [NotNullWhen(false)] out string? error)
    {
        bytes = 0;
        if (text.Length == 0)
        {
            error = "size is empty";
            return false;
        }

        if (text[0] == '-')
        {
            error = $"size '{text}' must not be negative";
            return false;
        }

        int i = 0;
        while (i < text.Length && char.IsAsciiDigit(text[i]))
        {
            i++;
        }

        if (i == 0)
        {
            error = $"invalid size '{text}': expected a number";
            return false;
        }

        if (i < text.Length && (text[i] == '.' || text[i] == ','))
        {
            error = $"invalid size '{text}': fractions are not supported (write '1536KiB', not '1.5MiB')";
            return false;
        }

        var unit = text[i..];
        long factor = unit switch
        {
            "" or "B" => 1,
            "KiB" => 1L << 10,
            "MiB" => 1L << 20,
            "GiB" => 1L << 30,
            "KB" => 1_000,
            "MB" => 1_000_000,
            "GB" => 1_000_000_000,
            _ => 0,
        };
        if (factor == 0)
        {
            error = $"invalid size '{text}': unknown unit '{unit}' ({Units})";
            return false;
        }

        if (!long.TryParse(text.AsSpan(0, i), out long amount) || amount > long.MaxValue / factor)
        {
            error = $"size '{text}' is too large";
            return false;
        }

        bytes = amount * factor;
        error = null;
        return true;
    }
}
