using System.Text.Json;

namespace FastGate.Tools.StreamLoad;

/// <summary>Writes the one JSON line of a run's figures to stdout.</summary>
internal static class Report
{
    public static void Write(Action<Utf8JsonWriter> body)
    {
        using var stdout = Console.OpenStandardOutput();
        using (var json = new Utf8JsonWriter(stdout))
        {
            json.WriteStartObject();
            body(json);
            json.WriteEndObject();
        }
        stdout.WriteByte((byte)'\n');
    }

    public static double Seconds(long ticks) => ticks / (double)System.Diagnostics.Stopwatch.Frequency;

    public static long Nanoseconds(long ticks) => (long)(ticks * (1e9 / System.Diagnostics.Stopwatch.Frequency));

    public static long Ticks(TimeSpan span) => (long)(span.TotalSeconds * System.Diagnostics.Stopwatch.Frequency);

    public static double Milliseconds(long nanoseconds) => Math.Round(nanoseconds / 1e6, 3);
}
