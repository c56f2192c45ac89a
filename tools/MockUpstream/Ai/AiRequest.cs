using System.Text.Json;

namespace FastGate.Tools.MockUpstream.Ai;

/// <summary>
/// The facts of an AI request body every provider shape needs: the model asked for (body or
/// path), whether to stream, the output cap, whether tools were offered, and the input tokens
/// (whitespace-separated words in every prompt text: system, messages, input, contents).
/// A tool: parsed with a DOM per request; the gateway's hot path is not here.
/// </summary>
internal sealed class AiRequest
{
    // Subtrees that are not prompt text: tool schemas, generation settings, metadata.
    private static readonly HashSet<string> Skipped = new(StringComparer.Ordinal)
    {
        "tools", "tool_choice", "functions", "function_call", "generationConfig", "response_format", "metadata",
        "options", "stream_options", "toolConfig", "safetySettings", "text", "reasoning", "thinking", "format",
    };

    // Keys whose string values (or arrays of strings) are prompt text.
    private static readonly HashSet<string> TextKeys = new(StringComparer.Ordinal)
    {
        "content", "text", "system", "input", "instructions", "prompt",
    };

    public string Model { get; private init; } = "";
    public bool? Stream { get; private init; }
    public bool IncludeUsage { get; private init; }
    /// <summary>The client's output cap (max_tokens, max_completion_tokens, max_output_tokens,
    /// generationConfig.maxOutputTokens, options.num_predict); 0 when none.</summary>
    public int MaxTokens { get; private init; }
    public bool HasTools { get; private init; }
    /// <summary>Gemini's generationConfig.candidateCount (1 to 8): that many answers, each with its own text; 1 when absent.</summary>
    public int Candidates { get; private init; } = 1;
    public int InputWords { get; private init; }
    /// <summary>Embedding inputs (each a string), for embeddings APIs.</summary>
    public List<string> Inputs { get; } = [];
    public string EncodingFormat { get; private init; } = "float";

    public static bool TryParse(ReadOnlyMemory<byte> body, out AiRequest request, out string error)
    {
        request = new AiRequest();
        error = "";
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(body);
        }
        catch (JsonException e)
        {
            error = "request body is not valid JSON: " + e.Message;
            return false;
        }
        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                error = "request body must be a JSON object";
                return false;
            }
            var words = 0;
            CountWords(root, null, ref words);
            var parsed = new AiRequest
            {
                Model = root.TryGetProperty("model", out var m) && m.ValueKind == JsonValueKind.String ? m.GetString()! : "",
                Stream = root.TryGetProperty("stream", out var s) && s.ValueKind is JsonValueKind.True or JsonValueKind.False ? s.GetBoolean() : null,
                IncludeUsage = root.TryGetProperty("stream_options", out var so) && so.ValueKind == JsonValueKind.Object
                    && so.TryGetProperty("include_usage", out var iu) && iu.ValueKind == JsonValueKind.True,
                MaxTokens = Cap(root),
                Candidates = CandidateCount(root),
                HasTools = HasNonEmpty(root, "tools"),
                InputWords = words,
                EncodingFormat = root.TryGetProperty("encoding_format", out var ef) && ef.ValueKind == JsonValueKind.String ? ef.GetString()! : "float",
            };
            CollectInputs(root, parsed.Inputs);
            request = parsed;
            return true;
        }
    }

    private static int Cap(JsonElement root)
    {
        foreach (var name in (ReadOnlySpan<string>)["max_completion_tokens", "max_tokens", "max_output_tokens"])
        {
            if (root.TryGetProperty(name, out var v) && v.TryGetInt32(out var n) && n > 0)
            {
                return n;
            }
        }
        if (root.TryGetProperty("generationConfig", out var g) && g.ValueKind == JsonValueKind.Object
            && g.TryGetProperty("maxOutputTokens", out var gm) && gm.TryGetInt32(out var gn) && gn > 0)
        {
            return gn;
        }
        if (root.TryGetProperty("options", out var o) && o.ValueKind == JsonValueKind.Object
            && o.TryGetProperty("num_predict", out var np) && np.TryGetInt32(out var nn) && nn > 0)
        {
            return nn;
        }
        return 0;
    }

    private static bool HasNonEmpty(JsonElement root, string name) =>
        root.TryGetProperty(name, out var t) && t.ValueKind == JsonValueKind.Array && t.GetArrayLength() > 0;

    private static void CountWords(JsonElement element, string? key, ref int words)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (var property in element.EnumerateObject())
                {
                    if (!Skipped.Contains(property.Name) || (property.Name == "text" && property.Value.ValueKind == JsonValueKind.String))
                    {
                        CountWords(property.Value, property.Name, ref words);
                    }
                }
                break;
            case JsonValueKind.Array:
                foreach (var item in element.EnumerateArray())
                {
                    CountWords(item, key, ref words);
                }
                break;
            case JsonValueKind.String when key is not null && TextKeys.Contains(key):
                words += Words(element.GetString()!);
                break;
        }
    }

    private static int CandidateCount(JsonElement root) =>
        root.TryGetProperty("generationConfig", out var g) && g.ValueKind == JsonValueKind.Object
            && g.TryGetProperty("candidateCount", out var c) && c.TryGetInt32(out var n) && n is >= 1 and <= 8 ? n : 1;

    public static int Words(string text)
    {
        var count = 0;
        var inWord = false;
        foreach (var c in text)
        {
            if (char.IsWhiteSpace(c))
            {
                inWord = false;
            }
            else if (!inWord)
            {
                inWord = true;
                count++;
            }
        }
        return count;
    }

    // OpenAI and Ollama: "input" (a string or strings); Gemini: requests[].content.parts[].text.
    private static void CollectInputs(JsonElement root, List<string> inputs)
    {
        if (root.TryGetProperty("input", out var input))
        {
            if (input.ValueKind == JsonValueKind.String)
            {
                inputs.Add(input.GetString()!);
            }
            else if (input.ValueKind == JsonValueKind.Array)
            {
                foreach (var item in input.EnumerateArray())
                {
                    inputs.Add(item.ValueKind == JsonValueKind.String ? item.GetString()! : item.GetRawText());
                }
            }
        }
        if (root.TryGetProperty("requests", out var requests) && requests.ValueKind == JsonValueKind.Array)
        {
            foreach (var r in requests.EnumerateArray())
            {
                var text = "";
                if (r.TryGetProperty("content", out var content) && content.TryGetProperty("parts", out var parts) && parts.ValueKind == JsonValueKind.Array)
                {
                    foreach (var part in parts.EnumerateArray())
                    {
                        if (part.TryGetProperty("text", out var t) && t.ValueKind == JsonValueKind.String)
                        {
                            text += t.GetString();
                        }
                    }
                }
                inputs.Add(text);
            }
        }
    }
}
