using System.Buffers;
using System.Text.Json;
using FastGate.Ai.Json;

namespace FastGate.Ai.Providers.OpenAi;

/// <summary>
/// Writes the upstream body for an OpenAI-kind provider from the pivot: every member copied as it came, the
/// model replaced by the target's, <c>stream</c> as <see cref="RequestFacts.Stream"/> says (a pivot written by
/// another front may not carry it), and on chat streams <c>stream_options.include_usage</c> set to true (its
/// other members kept) so the provider reports usage whatever the client asked.
/// </summary>
internal static class OpenAiRequestWriter
{
    public static bool TryWrite(ClientApi api, ReadOnlySpan<byte> pivot, in RequestFacts facts, ReadOnlySpan<byte> model, IBufferWriter<byte> body, out AiError error)
    {
        error = default;
        // Embeddings have no stream member; chat and responses get the stream the stage will read.
        var setsStream = api != ClientApi.OpenAiEmbeddings;
        var askUsage = api == ClientApi.OpenAiChat && facts.Stream;
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
            // The model (and stream) go first: the pivot's own members, wherever they are, are dropped below.
            writer.WriteString("model"u8, model);
            if (setsStream && facts.Stream)
            {
                writer.WriteBoolean("stream"u8, true);
            }
            var wroteStreamOptions = false;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("model"u8))
                {
                    reader.Read();
                    reader.Skip();
                    continue;
                }
                if (setsStream && reader.ValueTextEquals("stream"u8))
                {
                    reader.Read();
                    reader.Skip();
                    continue;
                }
                if (setsStream && reader.ValueTextEquals("stream_options"u8))
                {
                    reader.Read();
                    if (askUsage)
                    {
                        WriteStreamOptions(ref reader, pivot, writer);
                        wroteStreamOptions = true;
                    }
                    else if (facts.Stream)
                    {
                        // A responses stream: its options are the client's own.
                        writer.WritePropertyName("stream_options"u8);
                        JsonCopy.Value(ref reader, pivot, writer);
                    }
                    else
                    {
                        // OpenAI refuses stream_options on a request that does not stream.
                        reader.Skip();
                    }
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
