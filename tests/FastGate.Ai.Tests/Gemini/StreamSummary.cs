using System.Text;
using System.Text.Json;

namespace FastGate.Ai.Tests.Gemini;

/// <summary>What an OpenAI client makes of a chunk stream: the role, the text, the tool calls, the finish reason, the usage.</summary>
internal sealed class StreamSummary
{
    public string? Role;
    public StringBuilder Content = new();
    public List<(int Index, string Id, string Name, string Arguments)> ToolCalls = [];
    public string? FinishReason;
    public int FinishChunks;
    public JsonElement? Usage;
    public int UsageChunks;
    public string? Model;

    public static StreamSummary Of(IEnumerable<string> chunks)
    {
        var summary = new StreamSummary();
        var first = true;
        foreach (var chunk in chunks)
        {
            using var document = JsonDocument.Parse(chunk);
            var root = document.RootElement;
            Assert.Equal("chat.completion.chunk", root.GetProperty("object").GetString());
            Assert.StartsWith("chatcmpl-", root.GetProperty("id").GetString());
            summary.Model = root.GetProperty("model").GetString();
            var choices = root.GetProperty("choices");
            if (root.TryGetProperty("usage", out var usage))
            {
                Assert.Equal(0, choices.GetArrayLength());
                summary.Usage = usage.Clone();
                summary.UsageChunks++;
                continue;
            }
            Assert.Null(summary.Usage);
            var choice = choices[0];
            var delta = choice.GetProperty("delta");
            if (first)
            {
                summary.Role = delta.GetProperty("role").GetString();
                first = false;
            }
            if (delta.TryGetProperty("content", out var content) && content.ValueKind == JsonValueKind.String)
            {
                summary.Content.Append(content.GetString());
            }
            if (delta.TryGetProperty("tool_calls", out var calls))
            {
                foreach (var call in calls.EnumerateArray())
                {
                    var function = call.GetProperty("function");
                    summary.ToolCalls.Add((call.GetProperty("index").GetInt32(), call.GetProperty("id").GetString()!,
                        function.GetProperty("name").GetString()!, function.GetProperty("arguments").GetString()!));
                }
            }
            if (choice.GetProperty("finish_reason").ValueKind == JsonValueKind.String)
            {
                Assert.Null(summary.FinishReason);
                summary.FinishReason = choice.GetProperty("finish_reason").GetString();
                summary.FinishChunks++;
            }
        }
        return summary;
    }
}
