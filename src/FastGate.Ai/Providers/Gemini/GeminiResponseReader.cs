using System.Text.Json;
using FastGate.Ai.Json;
using FastGate.Ai.Providers.Pivot;

namespace FastGate.Ai.Providers.Gemini;

/// <summary>
/// A whole Gemini answer as the pivot response: <c>generateContent</c> as a
/// <c>chat.completion</c>, <c>batchEmbedContents</c> as an OpenAI embeddings list. Throws
/// <see cref="JsonException"/> when the answer is malformed.
/// </summary>
internal static class GeminiResponseReader
{
    /// <summary>False with the error when the 2xx body is an error object after all.</summary>
    public static bool WriteChat(ReadOnlySpan<byte> body, Utf8JsonWriter writer, ref TokenUsage usage, out AiError error)
    {
        var response = GeminiResponse.Scan(body);
        if (response.Error.IsObject)
        {
            error = GeminiErrors.FromErrorObject(response.Error, 0);
            return false;
        }
        error = default;
        if (GeminiUsage.Read(response.UsageMetadata, ref usage))
        {
            usage.Reported = true;
        }
        var salt = PivotWriter.NewSalt();
        PivotWriter.CompletionHead(writer, salt, PivotWriter.UnixNow(), response.ModelVersion.Bytes);
        if (!response.HasCandidate)
        {
            // A blocked prompt has no candidate: one empty choice says why.
            PivotWriter.ChoiceStart(writer, 0);
            writer.WriteNull("content"u8);
            PivotWriter.ChoiceEnd(writer, response.BlockReason.IsString ? PivotWriter.ContentFilter : PivotWriter.Stop);
        }
        else
        {
            // Every candidate is a choice (n > 1 asked for candidateCount); tool-call ids run on across them.
            var calls = 0;
            var candidates = response.Candidates.Reader();
            var position = 0;
            while (GeminiCandidate.Next(ref candidates, response.Candidates, ref position, out var candidate))
            {
                WriteChoice(writer, candidate, salt, ref calls);
            }
        }
        PivotWriter.CompletionTail(writer, usage);
        return true;
    }

    /// <summary>One candidate as <c>choices[i]</c>: its text parts joined (thought summaries left out), then its function calls.</summary>
    private static void WriteChoice(Utf8JsonWriter writer, in GeminiCandidate candidate, ulong salt, ref int callIds)
    {
        PivotWriter.ChoiceStart(writer, candidate.Index);
        var joiner = new RawStringJoiner(default);
        try
        {
            if (candidate.Parts.IsArray)
            {
                var reader = candidate.Parts.Reader();
                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                {
                    var part = GeminiPart.Scan(RawJson.Capture(ref reader, candidate.Parts.Bytes));
                    if (part.IsAnswerText)
                    {
                        joiner.Append(part.Text.StringContent);
                    }
                }
            }
            writer.WritePropertyName("content"u8);
            if (joiner.Pieces == 0)
            {
                writer.WriteNullValue();
            }
            else
            {
                joiner.WriteTo(writer);
            }
        }
        finally
        {
            joiner.Dispose();
        }
        var calls = 0;
        if (candidate.Parts.IsArray)
        {
            var reader = candidate.Parts.Reader();
            while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
            {
                var part = GeminiPart.Scan(RawJson.Capture(ref reader, candidate.Parts.Bytes));
                if (!part.IsFunctionCall)
                {
                    continue;
                }
                if (calls == 0)
                {
                    writer.WriteStartArray("tool_calls"u8);
                }
                calls++;
                PivotWriter.ToolCall(writer, callIds, withIndex: false, salt, callIds, part.FunctionName.Bytes, part.FunctionArgs.IsObject ? part.FunctionArgs.Bytes : default);
                callIds++;
            }
            if (calls > 0)
            {
                writer.WriteEndArray();
            }
        }
        PivotWriter.ChoiceEnd(writer, GeminiFinishReason.ToPivot(candidate.FinishReason, calls > 0));
    }

    /// <summary>
    /// <c>{"embeddings":[{"values":[...]}...]}</c> as <c>{"object":"list","data":[{"object":"embedding","index":i,"embedding":[...]}]}</c>.
    /// Gemini reports no tokens for embeddings: no usage is written and the stage estimates it.
    /// </summary>
    public static void WriteEmbeddings(ReadOnlySpan<byte> body, Utf8JsonWriter writer)
    {
        var reader = new Utf8JsonReader(body);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            throw new JsonException("not a JSON object");
        }
        RawJson embeddings = default;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("embeddings"u8)) embeddings = RawJson.CaptureProperty(ref reader, body);
            else RawJson.SkipProperty(ref reader);
        }
        RawJson.ExpectEnd(ref reader);
        if (!embeddings.IsArray)
        {
            throw new JsonException("embeddings is not an array");
        }
        writer.WriteStartObject();
        writer.WriteString("object"u8, "list"u8);
        writer.WriteStartArray("data"u8);
        var items = embeddings.Reader();
        var index = 0;
        while (items.Read() && items.TokenType != JsonTokenType.EndArray)
        {
            var item = RawJson.Capture(ref items, embeddings.Bytes);
            RawJson values = default;
            if (item.IsObject)
            {
                var itemReader = item.Reader();
                while (itemReader.Read() && itemReader.TokenType == JsonTokenType.PropertyName)
                {
                    if (itemReader.ValueTextEquals("values"u8)) values = RawJson.CaptureProperty(ref itemReader, item.Bytes);
                    else RawJson.SkipProperty(ref itemReader);
                }
            }
            if (!values.IsArray)
            {
                throw new JsonException("an embedding has no values array");
            }
            PivotWriter.EmbeddingItem(writer, index++, values.Bytes);
        }
        writer.WriteEndArray();
        writer.WriteString("model"u8, ""u8);
        writer.WriteEndObject();
    }
}
