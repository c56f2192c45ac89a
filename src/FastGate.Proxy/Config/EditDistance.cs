namespace FastGate.Proxy.Config;

/// <summary>Levenshtein distance, to suggest the key a typo probably meant.</summary>
internal static class EditDistance
{
    public static int Between(string a, string b)
    {
        var previous = new int[b.Length + 1];
        var current = new int[b.Length + 1];
        for (int j = 0; j <= b.Length; j++)
        {
            previous[j] = j;
        }

        for (int i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (int j = 1; j <= b.Length; j++)
            {
                int substitution = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
                current[j] = Math.Min(substitution, Math.Min(previous[j], current[j - 1]) + 1);
            }

            (previous, current) = (current, previous);
        }

        return previous[b.Length];
    }

    /// <summary>The closest candidate within <paramref name="maxDistance"/> edits, or null.</summary>
    public static string? Closest(string word, IEnumerable<string> candidates, int maxDistance = 2)
    {
        string? best = null;
        int bestDistance = maxDistance + 1;
        foreach (var candidate in candidates)
        {
            int distance = Between(word, candidate);
            if (distance < bestDistance)
            {
                best = candidate;
                bestDistance = distance;
            }
        }

        return best;
    }
}
