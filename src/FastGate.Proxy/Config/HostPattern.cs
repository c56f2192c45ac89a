using System.Diagnostics.CodeAnalysis;

namespace FastGate.Proxy.Config;

/// <summary>Host names in routes and SNI lists: lower-cased, with "*." allowed only as a leading wildcard.</summary>
internal static class HostPattern
{
    public static bool TryNormalize(string text, [NotNullWhen(true)] out string? pattern, [NotNullWhen(false)] out string? error)
    {
        pattern = null;
        var lower = text.ToLowerInvariant();
        var name = lower.StartsWith("*.", StringComparison.Ordinal) ? lower[2..] : lower;
        if (name.Contains('*'))
        {
            error = $"invalid host '{text}': a wildcard is allowed only as a leading '*.'";
            return false;
        }

        if (!AddressParser.IsHostName(name))
        {
            error = $"invalid host '{text}': use letters, digits, '-' and '.' (no port)";
            return false;
        }

        pattern = lower;
        error = null;
        return true;
    }
}
