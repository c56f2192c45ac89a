using System.Text.Json;

namespace FastGate.Core.Tests.HPack;

/// <summary>
/// The hpack-test-case vectors carried in TestData/hpack (see the README there for the source, licence and
/// conversion): one JSON-lines file per upstream encoder, one line per case.
/// </summary>
internal static class HPackVectors
{
    public static string DataDir { get; } = Path.Combine(AppContext.BaseDirectory, "TestData", "hpack");

    /// <summary>Every encoder's file that carries wire data, by name without extension.</summary>
    public static IEnumerable<string> WireFiles() =>
        Directory.GetFiles(DataDir, "*.jsonl")
            .Select(Path.GetFileNameWithoutExtension)
            .Where(name => name != "raw-data")
            .Order(StringComparer.Ordinal)!;

    /// <summary>The stories of one file in order, each its cases in order.</summary>
    public static List<Story> Read(string fileName)
    {
        var stories = new List<Story>();
        int lineNumber = 0;
        foreach (string line in File.ReadLines(Path.Combine(DataDir, fileName + ".jsonl")))
        {
            lineNumber++;
            using JsonDocument document = JsonDocument.Parse(line);
            JsonElement root = document.RootElement;
            string story = root.GetProperty("story").GetString()!;
            if (stories.Count == 0 || stories[^1].Name != story)
            {
                stories.Add(new Story(story, []));
            }

            var headers = new List<(string, string)>();
            foreach (JsonElement pair in root.GetProperty("headers").EnumerateArray())
            {
                headers.Add((pair[0].GetString()!, pair[1].GetString()!));
            }

            stories[^1].Cases.Add(new Case(
                root.GetProperty("seq").GetInt32(),
                root.TryGetProperty("size", out JsonElement size) ? size.GetInt32() : null,
                root.TryGetProperty("wire", out JsonElement wire) ? Convert.FromHexString(wire.GetString()!) : null,
                headers,
                $"{fileName}.jsonl:{lineNumber}"));
        }

        return stories;
    }

    public sealed record Story(string Name, List<Case> Cases);

    public sealed record Case(int Seq, int? TableSize, byte[]? Wire, List<(string Name, string Value)> Headers, string Where);
}
