namespace FastGate.Proxy.Config;

// busy_poll: how long an event loop polls without sleeping after a turn with events.
public static partial class ConfigLoader
{
    // Past a millisecond the window outlasts the gap between the requests of almost any traffic,
    // and the loop spins for as long as there is any: a core given away, not a latency bought.
    private const long MaxBusyPollMicroseconds = 1000;

    /// <summary>
    /// Top-level <c>busy_poll</c>: a duration in <c>us</c> or <c>ms</c> ("50us"), at most 1ms;
    /// "0" or absent is off. Its own units: the other durations of the file are timeouts, where
    /// microseconds are never meant and a "50us" would more likely be a typo.
    /// </summary>
    private static TimeSpan ReadBusyPoll(ConfigReader r, TomlTableNode root)
    {
        var entry = root.Find("busy_poll");
        if (entry is null)
        {
            return TimeSpan.Zero;
        }
        if (entry.Value is not TomlScalar { Value: string text })
        {
            r.Error(entry.Value.Position, "'busy_poll' must be a duration string like \"50us\" (us or ms; \"0\" is off)");
            return TimeSpan.Zero;
        }
        if (!TryParseBusyPoll(text, out var microseconds))
        {
            r.Error(entry.Value.Position, $"invalid duration '{text}' for 'busy_poll': write a whole number of us or ms, like \"50us\" (\"0\" is off)");
            return TimeSpan.Zero;
        }
        if (microseconds > MaxBusyPollMicroseconds)
        {
            r.Error(entry.Value.Position, $"'busy_poll' must be at most 1ms, got '{text}': a longer window keeps a core spinning through any traffic");
            return TimeSpan.Zero;
        }
        return TimeSpan.FromMicroseconds(microseconds);
    }

    private static bool TryParseBusyPoll(string text, out long microseconds)
    {
        microseconds = 0;
        if (text == "0")
        {
            return true;
        }
        var digits = 0;
        while (digits < text.Length && char.IsAsciiDigit(text[digits]))
        {
            digits++;
        }
        // Seven digits are already far past the limit; more could only overflow.
        if (digits == 0 || digits > 7)
        {
            return false;
        }
        var value = long.Parse(text.AsSpan(0, digits), provider: System.Globalization.CultureInfo.InvariantCulture);
        switch (text.AsSpan(digits))
        {
            case "us":
                microseconds = value;
                return true;
            case "ms":
                microseconds = value * 1000;
                return true;
            default:
                return false;
        }
    }
}
