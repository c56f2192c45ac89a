using System.Text.Json;

namespace FastGate.Core.Tests.WebSockets;

/// <summary>
/// Reads the WebSocket case files (TestData/websocket-*.jsonl, copied next to the test assembly; sources and
/// licences in TestData/README.md). Cases differ in shape by their <c>type</c>, so each is a parsed JSON object.
/// </summary>
internal static class WebSocketCorpus
{
    public const string RfcExamplesFile = "websocket-rfc-examples.jsonl";
    public const string Utf8CasesFile = "websocket-utf8-cases.jsonl";

    private static readonly string DataDir = Path.Combine(AppContext.BaseDirectory, "TestData");

    /// <summary>Every case of the file, keyed by its id (ids are unique within a file).</summary>
    public static IReadOnlyDictionary<string, JsonElement> Read(string fileName)
    {
        var cases = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        int lineNumber = 0;
        foreach (string line in File.ReadLines(Path.Combine(DataDir, fileName)))
        {
            lineNumber++;
            if (line.Length == 0)
            {
                continue;
            }

            JsonElement element = JsonDocument.Parse(line).RootElement.Clone();
            string id = element.GetProperty("id").GetString() ?? throw new InvalidDataException($"{fileName}:{lineNumber}: no id");
            if (!cases.TryAdd(id, element))
            {
                throw new InvalidDataException($"{fileName}:{lineNumber}: duplicate id '{id}'");
            }
        }

        return cases;
    }

    /// <summary>The ids of the cases of one type, for a theory's member data.</summary>
    public static TheoryData<string> Ids(string fileName, string? type = null)
    {
        var ids = new TheoryData<string>();
        foreach ((string id, JsonElement element) in Read(fileName))
        {
            if (type is null || element.GetProperty("type").GetString() == type)
            {
                ids.Add(id);
            }
        }

        return ids;
    }

    public static JsonElement Case(string fileName, string id) => Read(fileName)[id];

    public static byte[] HexBytes(this JsonElement element, string property) => Convert.FromHexString(element.GetProperty(property).GetString()!);
}
