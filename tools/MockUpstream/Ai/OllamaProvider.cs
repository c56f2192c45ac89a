using System.Buffers;
using System.Globalization;
using System.Text.Json;

namespace FastGate.Tools.MockUpstream.Ai;

/// <summary>
/// Ollama /api/chat (NDJSON lines when streaming, its default) and /api/embed. It reports
/// prompt_eval_count and eval_count only (no cached or reasoning breakdown) on the final
/// <c>"done":true</c> line; a tool call arrives whole, its arguments an object. No key.
/// </summary>
internal sealed class OllamaProvider : AiProvider, IEmbeddingProvider
{
    public override string Name => "ollama";

    public override bool Authorized(HttpRequest request, out string problem)
    {
        problem = "";
        return true;
    }

    public override byte[] Error(int status, string message) => AiJson.Object(j => j.WriteString("error", message));

    public override ServedUsage Served(AiPlan plan) => plan.Usage with { Cached = 0, Reasoning = 0 };

    private static string CreatedAt() => DateTime.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture);

    private static void WriteMessage(Utf8JsonWriter j, string content, bool toolCall)
    {
        j.WriteStartObject("message");
        j.WriteString("role", "assistant");
        j.WriteString("content", content);
        if (toolCall)
        {
            j.WriteStartArray("tool_calls");
            j.WriteStartObject();
            j.WriteStartObject("function");
            j.WriteString("name", AiPlan.ToolName);
            j.WriteStartObject("arguments");
            j.WriteString("city", "Paris");
            j.WriteEndObject();
            j.WriteEndObject();
            j.WriteEndObject();
            j.WriteEndArray();
        }
        j.WriteEndObject();
    }

    private static byte[] Line(AiPlan plan, string createdAt, string content, bool toolCall, bool done) => AiJson.Object(j =>
    {
        j.WriteString("model", plan.ModelName);
        j.WriteString("created_at", createdAt);
        WriteMessage(j, content, toolCall);
        if (done)
        {
            j.WriteString("done_reason", plan.Capped && !plan.Tools ? "length" : "stop");
        }
        j.WriteBoolean("done", done);
        if (done)
        {
            j.WriteNumber("total_duration", 12_345_678);
            j.WriteNumber("load_duration", 1_234_567);
            if (plan.ReportsUsage)
            {
                j.WriteNumber("prompt_eval_count", plan.Usage.Input);
            }
            j.WriteNumber("prompt_eval_duration", 2_345_678);
            if (plan.ReportsUsage)
            {
                j.WriteNumber("eval_count", plan.Usage.Output);
            }
            j.WriteNumber("eval_duration", 8_765_432);
        }
    });

    public override byte[] Answer(AiPlan plan) => Line(plan, CreatedAt(), plan.Text(), plan.Tools, done: true);

    public override AiStreamShape Stream(AiPlan plan) => new ChatStream(plan);

    private sealed class ChatStream : AiStreamShape
    {
        private readonly AiPlan _plan;
        private readonly byte[] _first;
        private readonly byte[] _later;
        private readonly byte[] _tool;
        private readonly byte[] _tail;

        public ChatStream(AiPlan plan)
        {
            _plan = plan;
            var at = CreatedAt();
            _first = AiJson.Line(Line(plan, at, "tok", false, false));
            _later = AiJson.Line(Line(plan, at, " tok", false, false));
            _tool = AiJson.Line(Line(plan, at, "", true, false));
            _tail = AiJson.Line(Line(plan, at, "", false, true));
        }

        public override string ContentType => "application/x-ndjson";
        public override int Count => _plan.Tools ? 1 : _plan.VisibleTokens;
        public override void WriteHead(IBufferWriter<byte> output) { }
        public override void WriteToken(IBufferWriter<byte> output, int index) =>
            output.Write(_plan.Tools ? _tool : index == 0 ? _first : _later);
        public override void WriteTail(IBufferWriter<byte> output) => output.Write(_tail);
        public override void WriteGarbage(IBufferWriter<byte> output) => output.Write("{\"model\": garbage line\n"u8);
    }

    public byte[] Embeddings(AiPlan plan) => AiJson.Object(j =>
    {
        j.WriteString("model", plan.ModelName);
        j.WriteStartArray("embeddings");
        foreach (var input in plan.Request.Inputs)
        {
            var vector = AiJson.Vector(input);
            j.WriteStartArray();
            foreach (var v in vector)
            {
                j.WriteNumberValue(v);
            }
            j.WriteEndArray();
        }
        j.WriteEndArray();
        j.WriteNumber("total_duration", 1_234_567);
        j.WriteNumber("load_duration", 123_456);
        if (plan.ReportsUsage)
        {
            j.WriteNumber("prompt_eval_count", plan.Request.InputWords);
        }
    });
}
