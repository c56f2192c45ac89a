using System.Buffers;
using System.Text.Json;
using FastGate.Ai.Json;

namespace FastGate.Ai.Providers.OpenAi;

/// <summary>
/// Writes the upstream body for an OpenAI-kind provider from the pivot: every member copied as it came, the
/// model replaced by the target's, and on chat streams <c>stream_options.include_usage</c> set to true (its
/// other members kept) so the provider reports usage whatever the client asked.
/// </summary>
internal static class OpenAiRequestWriter
{
    public static bool TryWrite(ReadOnlySpan<byte> pivot, ReadOnlySpan<byte> model, bool askUsage, IBufferWriter<byte> body, out AiError error)
    {
        error = default;
        var writer = JsonWriters.For(body);
        try
        {
            var reader = new Utf8JsonReader(pivot);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                error = NotAnObject();
                return false;
            }
            writer.WriteStartObject();
            // The model goes first: the pivot's own model member, wherever it is, is dropped below.
            writer.WriteString("model"u8, model);
            var wroteStreamOptions = false;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("model"u8))
                {
                    reader.Read();
                    reader.Skip();
                    continue;
                }
                if (askUsage && reader.ValueTextEquals("stream_options"u8))
                {
                    reader.Read();
                    WriteStreamOptions(ref reader, pivot, writer);
                    wroteStreamOptions = true;
                    continue;
                }
                CopyPropertyName(ref reader, writer);
                reader.Read();
                JsonCopy.Value(ref reader, pivot, writer);
            }
            if (askUsage && !wroteStreamOptions)
            {
                writer.WritePropertyName("stream_options"u8);
                writer.WriteStartObject();
                writer.WriteBoolean("include_usage"u8, true);
                writer.WriteEndObject();
            }
            writer.WriteEndObject();
            writer.Flush();
            return true;
        }
        catch (Exception e) when (e is JsonException or ArgumentException or InvalidOperationException)
        {
            // Not JSON, or text the writer refuses (invalid UTF-8): the front should have caught it.
            writer.Reset();
            error = NotAnObject();
            return false;
        }
    }

    /// <summary>The client's stream_options with include_usage forced to true; a null or non-object value becomes a new object.</summary>
    private static void WriteStreamOptions(ref Utf8JsonReader reader, ReadOnlySpan<byte> pivot, Utf8JsonWriter writer)
    {
        writer.WritePropertyName("stream_options"u8);
        writer.WriteStartObject();
        if (reader.TokenType == JsonTokenType.StartObject)
        {
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("include_usage"u8))
                {
                    reader.Read();
                    reader.Skip();
                    continue;
                }
                CopyPropertyName(ref reader, writer);
                reader.Read();
                JsonCopy.Value(ref reader, pivot, writer);
            }
        }
        else
        {
            reader.Skip();
        }
        writer.WriteBoolean("include_usage"u8, true);
        writer.WriteEndObject();
    }

    /// <summary>Writes the property name the reader is on; a name with escapes is unescaped first so the writer does not escape the backslashes again.</summary>
    public static void CopyPropertyName(ref Utf8JsonReader reader, Utf8JsonWriter writer)
    {
        if (!reader.ValueIsEscaped)
        {
            writer.WritePropertyName(reader.ValueSpan);
            return;
        }
        var rented = ArrayPool<byte>.Shared.Rent(reader.ValueSpan.Length);
        try
        {
            var length = reader.CopyString(rented);
            writer.WritePropertyName(rented.AsSpan(0, length));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    private static AiError NotAnObject() => new(400, "invalid_request_error", "the request body is not a JSON object");
}
