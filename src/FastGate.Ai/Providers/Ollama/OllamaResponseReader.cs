using System.Text.Json;
using FastGate.Ai.Json;
using FastGate.Ai.Providers.Pivot;

namespace FastGate.Ai.Providers.Ollama;

/// <summary>
/// A whole Ollama answer as the pivot response: <c>/api/chat</c> with <c>stream: false</c> as a
/// <c>chat.completion</c>, <c>/api/embed</c> as an OpenAI embeddings list. Throws
/// <see cref="JsonException"/> when the answer is malformed.
/// </summary>
internal static class OllamaResponseReader
{
    public static bool WriteChat(ReadOnlySpan<byte> body, Utf8JsonWriter writer, ref TokenUsage usage, out AiError error)
    {
        var response = OllamaResponse.Scan(body);
        if (response.Error.Exists)
        {
            error = OllamaErrors.FromError(response.Error, 0);
            return false;
        }
        error = default;
        response.ReadUsage(ref usage);
        var salt = PivotWriter.NewSalt();
        PivotWriter.CompletionStart(writer, salt, PivotWriter.UnixNow(), response.Model.Bytes);
        writer.WritePropertyName("content"u8);
        var hasCalls = response.ToolCalls.IsArray && !response.ToolCalls.IsEmptyStringOrArray;
        if (response.Content.IsString && !(hasCalls && response.Content.IsEmptyStringOrArray))
        {
            writer.WriteRawValue(response.Content.Bytes, skipInputValidation: true);
        }
        else
        {
            writer.WriteNullValue();
        }
        var calls = 0;
        if (hasCalls)
        {
            writer.WriteStartArray("tool_calls"u8);
            var reader = response.ToolCalls.Reader();
            while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
            {
                var call = OllamaToolCall.Scan(RawJson.Capture(ref reader, response.ToolCalls.Bytes));
                PivotWriter.ToolCall(writer, calls++, withIndex: false, salt, call.Name.Bytes, call.ArgumentsJson);
            }
            writer.WriteEndArray();
        }
        PivotWriter.CompletionEnd(writer, response.FinishReason(calls > 0), usage);
        return true;
    }

    /// <summary><c>{"model":M,"embeddings":[[...]...],"prompt_eval_count":N}</c> as an OpenAI list, N as its prompt tokens.</summary>
    public static bool WriteEmbeddings(ReadOnlySpan<byte> body, Utf8JsonWriter writer, ref TokenUsage usage, out AiError error)
    {
        error = default;
        var reader = new Utf8JsonReader(body);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            throw new JsonException("not a JSON object");
        }
        RawJson embeddings = default, model = default, promptEvalCount = default, failure = default;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("embeddings"u8)) embeddings = RawJson.CaptureProperty(ref reader, body);
            else if (reader.ValueTextEquals("model"u8)) model = RawJson.CaptureProperty(ref reader, body);
            else if (reader.ValueTextEquals("prompt_eval_count"u8)) promptEvalCount = RawJson.CaptureProperty(ref reader, body);
            else if (reader.ValueTextEquals("error"u8)) failure = RawJson.CaptureProperty(ref reader, body);
            else RawJson.SkipProperty(ref reader);
        }
        RawJson.ExpectEnd(ref reader);
        if (failure.Exists)
        {
            error = OllamaErrors.FromError(failure, 0);
            return false;
        }
        if (!embeddings.IsArray)
        {
            throw new JsonException("embeddings is not an array");
        }
        var reported = promptEvalCount.TryGetInt64(out var promptTokens) && promptTokens >= 0;
        if (promptEvalCount.Exists && !promptEvalCount.IsNull && !reported)
        {
            throw new JsonException("prompt_eval_count is not a whole number");
        }
        writer.WriteStartObject();
        writer.WriteString("object"u8, "list"u8);
        writer.WriteStartArray("data"u8);
        var items = embeddings.Reader();
        var index = 0;
        while (items.Read() && items.TokenType != JsonTokenType.EndArray)
        {
            var vector = RawJson.Capture(ref items, embeddings.Bytes);
            if (!vector.IsArray)
            {
                throw new JsonException("an embedding is not an array");
            }
            PivotWriter.EmbeddingItem(writer, index++, vector.Bytes);
        }
        writer.WriteEndArray();
        writer.WritePropertyName("model"u8);
        if (model.IsString)
        {
            writer.WriteRawValue(model.Bytes, skipInputValidation: true);
        }
        else
        {
            writer.WriteStringValue(""u8);
        }
        if (reported)
        {
            usage.Input = promptTokens;
            usage.Output = 0;
            usage.Reported = true;
            writer.WriteStartObject("usage"u8);
            writer.WriteNumber("prompt_tokens"u8, promptTokens);
            writer.WriteNumber("total_tokens"u8, promptTokens);
            writer.WriteEndObject();
        }
        writer.WriteEndObject();
        return true;
    }
}
