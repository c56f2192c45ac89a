using System.Buffers;
using System.Text.Json;

namespace FastGate.Tools.MockUpstream.Ai;

/// <summary>
/// Gemini generateContent, streamGenerateContent?alt=sse and batchEmbedContents as
/// generativelanguage.googleapis.com answers them: usageMetadata with promptTokenCount (cached
/// included, cachedContentTokenCount beside it), candidatesTokenCount (visible output) and
/// thoughtsTokenCount (reasoning, outside candidatesTokenCount). Its SSE ends lines with CRLF,
/// every chunk carries usageMetadata (the prompt count until the last, complete one), and a tool
/// call arrives whole, in one chunk. With <c>candidateCount</c> every chunk carries each
/// candidate's next part (candidate k says "tok" + k where the first says "tok"), and the usage
/// counts the output of all of them. Embeddings report no usage.
/// </summary>
internal sealed class GeminiProvider : AiProvider, IEmbeddingProvider
{
    private const string Eol = "\r\n";

    public override string Name => "gemini";

    public override bool Authorized(HttpRequest request, out string problem)
    {
        problem = "Method doesn't allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API.";
        return request.Headers["x-goog-api-key"].ToString().Length > 0 || request.Query["key"].ToString().Length > 0;
    }

    public override byte[] Error(int status, string message)
    {
        var name = status switch
        {
            429 => "RESOURCE_EXHAUSTED",
            401 => "UNAUTHENTICATED",
            403 => "PERMISSION_DENIED",
            404 => "NOT_FOUND",
            503 => "UNAVAILABLE",
            >= 500 => "INTERNAL",
            _ => "INVALID_ARGUMENT",
        };
        return AiJson.Object(j =>
        {
            j.WriteStartObject("error");
            j.WriteNumber("code", status);
            j.WriteString("message", message);
            j.WriteString("status", name);
            j.WriteEndObject();
        });
    }

    private static string FinishReason(AiPlan plan) => plan.Capped && !plan.Tools ? "MAX_TOKENS" : "STOP";

    private static void WriteUsage(Utf8JsonWriter j, AiPlan plan, bool complete)
    {
        var u = plan.Usage;
        var visible = u.Output - u.Reasoning;
        j.WriteStartObject("usageMetadata");
        j.WriteNumber("promptTokenCount", u.Input);
        if (complete)
        {
            j.WriteNumber("candidatesTokenCount", visible);
        }
        j.WriteNumber("totalTokenCount", complete ? u.Input + u.Output : u.Input);
        if (complete && u.Cached > 0)
        {
            j.WriteNumber("cachedContentTokenCount", u.Cached);
        }
        if (complete && u.Reasoning > 0)
        {
            j.WriteNumber("thoughtsTokenCount", u.Reasoning);
        }
        j.WriteStartArray("promptTokensDetails");
        j.WriteStartObject();
        j.WriteString("modality", "TEXT");
        j.WriteNumber("tokenCount", u.Input);
        j.WriteEndObject();
        j.WriteEndArray();
        j.WriteEndObject();
    }

    /// <summary>
    /// <c>candidates</c> with one element per candidate asked for (candidateCount): candidate k's
    /// part is <paramref name="text"/> with "tok" made <see cref="AiPlan.Word"/>(k), or the tool call.
    /// </summary>
    private static void WriteCandidates(Utf8JsonWriter j, AiPlan plan, string? text, bool toolCall, string? finish)
    {
        j.WriteStartArray("candidates");
        for (var candidate = 0; candidate < plan.Candidates; candidate++)
        {
            j.WriteStartObject();
            j.WriteStartObject("content");
            j.WriteStartArray("parts");
            j.WriteStartObject();
            if (toolCall)
            {
                j.WriteStartObject("functionCall");
                j.WriteString("name", AiPlan.ToolName);
                j.WriteStartObject("args");
                j.WriteString("city", "Paris");
                j.WriteEndObject();
                j.WriteEndObject();
            }
            else
            {
                j.WriteString("text", candidate == 0 || text is null ? text : text.Replace("tok", AiPlan.Word(candidate), StringComparison.Ordinal));
            }
            j.WriteEndObject();
            j.WriteEndArray();
            j.WriteString("role", "model");
            j.WriteEndObject();
            if (finish is not null)
            {
                j.WriteString("finishReason", finish);
            }
            j.WriteNumber("index", candidate);
            j.WriteEndObject();
        }
        j.WriteEndArray();
    }

    private static byte[] Chunk(AiPlan plan, string? text, bool toolCall, string? finish, bool completeUsage) => AiJson.Object(j =>
    {
        WriteCandidates(j, plan, text, toolCall, finish);
        if (plan.ReportsUsage)
        {
            WriteUsage(j, plan, completeUsage);
        }
        j.WriteString("modelVersion", plan.ModelName);
        j.WriteString("responseId", "mock" + plan.Id);
    });

    public override byte[] Answer(AiPlan plan) => Chunk(plan, plan.Text(), plan.Tools, FinishReason(plan), completeUsage: true);

    public override AiStreamShape Stream(AiPlan plan) => new GenerateStream(plan);

    private sealed class GenerateStream(AiPlan plan) : AiStreamShape
    {
        private readonly byte[] _first = AiJson.Sse(null, Chunk(plan, "tok", false, null, false), Eol);
        private readonly byte[] _later = AiJson.Sse(null, Chunk(plan, " tok", false, null, false), Eol);
        private readonly byte[] _tool = AiJson.Sse(null, Chunk(plan, null, true, null, false), Eol);
        private readonly byte[] _tail = AiJson.Sse(null, Chunk(plan, "", false, FinishReason(plan), true), Eol);

        public override string ContentType => "text/event-stream";
        public override int Count => plan.Tools ? 1 : plan.VisibleTokens;
        public override void WriteHead(IBufferWriter<byte> output) { }
        public override void WriteToken(IBufferWriter<byte> output, int index) =>
            output.Write(plan.Tools ? _tool : index == 0 ? _first : _later);
        public override void WriteTail(IBufferWriter<byte> output) => output.Write(_tail);
        public override void WriteGarbage(IBufferWriter<byte> output) => output.Write("data: [{candidates garbage\r\n\r\n"u8);
    }

    public byte[] Embeddings(AiPlan plan) => AiJson.Object(j =>
    {
        j.WriteStartArray("embeddings");
        foreach (var input in plan.Request.Inputs)
        {
            j.WriteStartObject();
            AiJson.WriteFloats(j, "values", AiJson.Vector(input));
            j.WriteEndObject();
        }
        j.WriteEndArray();
    });
}
