using System.Text.Json;
using FastGate.Ai.Json;
using FastGate.Ai.Providers.Pivot;

namespace FastGate.Ai.Providers.Ollama;

/// <summary>
/// The fields of an Ollama <c>/api/chat</c> answer (a whole one, or one NDJSON line of a stream)
/// the translation reads. Throws <see cref="JsonException"/> when the JSON is malformed or a field
/// has the wrong type.
/// </summary>
internal ref struct OllamaResponse
{
    public RawJson Model;
    /// <summary><c>message.content</c>, a string.</summary>
    public RawJson Content;
    /// <summary><c>message.tool_calls</c>, an array of <c>{function: {name, arguments}}</c>.</summary>
    public RawJson ToolCalls;
    public bool Done;
    public RawJson DoneReason;
    public RawJson PromptEvalCount;
    public RawJson EvalCount;
    /// <summary><c>{"error":"..."}</c>: a failure, before or inside a stream.</summary>
    public RawJson Error;

    public static OllamaResponse Scan(ReadOnlySpan<byte> body)
    {
        var fields = new OllamaResponse();
        var reader = new Utf8JsonReader(body);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            throw new JsonException("not a JSON object");
        }
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("message"u8))
            {
                reader.Read();
                if (reader.TokenType != JsonTokenType.StartObject)
                {
                    throw new JsonException("message is not an object");
                }
                while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                {
                    if (reader.ValueTextEquals("content"u8)) fields.Content = RawJson.CaptureProperty(ref reader, body);
                    else if (reader.ValueTextEquals("tool_calls"u8)) fields.ToolCalls = RawJson.CaptureProperty(ref reader, body);
                    else RawJson.SkipProperty(ref reader);
                }
                if ((fields.Content.Exists && !fields.Content.IsString && !fields.Content.IsNull)
                    || (fields.ToolCalls.Exists && !fields.ToolCalls.IsArray && !fields.ToolCalls.IsNull))
                {
                    throw new JsonException("message content is not a string or tool_calls not an array");
                }
            }
            else if (reader.ValueTextEquals("done"u8))
            {
                reader.Read();
                if (reader.TokenType is not (JsonTokenType.True or JsonTokenType.False))
                {
                    throw new JsonException("done is not a boolean");
                }
                fields.Done = reader.TokenType == JsonTokenType.True;
            }
            else if (reader.ValueTextEquals("model"u8)) fields.Model = RawJson.CaptureProperty(ref reader, body);
            else if (reader.ValueTextEquals("done_reason"u8)) fields.DoneReason = RawJson.CaptureProperty(ref reader, body);
            else if (reader.ValueTextEquals("prompt_eval_count"u8)) fields.PromptEvalCount = RawJson.CaptureProperty(ref reader, body);
            else if (reader.ValueTextEquals("eval_count"u8)) fields.EvalCount = RawJson.CaptureProperty(ref reader, body);
            else if (reader.ValueTextEquals("error"u8)) fields.Error = RawJson.CaptureProperty(ref reader, body);
            else RawJson.SkipProperty(ref reader);
        }
        RawJson.ExpectEnd(ref reader);
        return fields;
    }

    /// <summary>
    /// <c>prompt_eval_count</c> and <c>eval_count</c> as usage, reported when either is there
    /// (Ollama leaves out <c>prompt_eval_count</c> when the whole prompt came from its cache).
    /// </summary>
    public readonly void ReadUsage(ref TokenUsage usage)
    {
        var hasPrompt = Count(PromptEvalCount, out var prompt);
        var hasEval = Count(EvalCount, out var eval);
        if (!hasPrompt && !hasEval)
        {
            return;
        }
        usage.Input = prompt;
        usage.Output = eval;
        usage.CachedInput = 0;
        usage.Reasoning = 0;
        usage.Reported = true;
    }

    /// <summary><c>done_reason</c> as an OpenAI finish reason: <c>length</c> when the budget ran out, <c>tool_calls</c> after calls, else <c>stop</c>.</summary>
    public readonly ReadOnlySpan<byte> FinishReason(bool calledTools)
        => DoneReason.StringEquals("length"u8) ? PivotWriter.Length
        : calledTools ? PivotWriter.ToolCalls
        : PivotWriter.Stop;

    private static bool Count(RawJson value, out long count)
    {
        count = 0;
        if (!value.Exists || value.IsNull)
        {
            return false;
        }
        if (!value.TryGetInt64(out count) || count < 0)
        {
            throw new JsonException("a token count is not a whole number");
        }
        return true;
    }
}
