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
            if (facts.Layout.Fits(pivot))
            {
                WriteFromLayout(pivot, facts, setsStream, askUsage, model, writer, body);
                return true;
            }
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

    /// <summary>
    /// The same body as the member-by-member rewrite, from the ranges the front found: the head written, the
    /// pivot's other members copied as runs between the ones dropped or rewritten (the layout guarantees the
    /// top level has no white space and only plain names, so the bytes are what the writer would put), and
    /// only a rewritten stream_options read again. On an exception <paramref name="body"/> holds part of a body
    /// the caller discards.
    /// </summary>
    private static void WriteFromLayout(ReadOnlySpan<byte> pivot, in RequestFacts facts, bool setsStream, bool askUsage, ReadOnlySpan<byte> model, Utf8JsonWriter writer, IBufferWriter<byte> body)
    {
        ref readonly var layout = ref facts.Layout;
        writer.WriteStartObject();
        writer.WriteString("model"u8, model);
        if (setsStream && facts.Stream)
        {
            writer.WriteBoolean("stream"u8, true);
        }
        writer.Flush();

        // The members cut from the copy, in pivot order: at most model, stream and stream_options.
        Span<int> starts = stackalloc int[3];
        Span<int> ends = stackalloc int[3];
        var cuts = 0;
        var optionsRewritten = false;
        if (layout.ModelEnd != 0)
        {
            Cut(starts, ends, ref cuts, layout.ModelStart, layout.ModelEnd);
        }
        if (setsStream && layout.StreamEnd != 0)
        {
            Cut(starts, ends, ref cuts, layout.StreamStart, layout.StreamEnd);
        }
        if (setsStream && layout.StreamOptionsEnd != 0 && (askUsage || !facts.Stream))
        {
            // A responses stream keeps the client's own options as they are; a request that does not stream drops them.
            Cut(starts, ends, ref cuts, layout.StreamOptionsStart, layout.StreamOptionsEnd);
        }

        // The name start of the first member not yet copied or cut.
        var next = layout.ObjectStart + 1;
        for (var i = 0; i < cuts; i++)
        {
            if (starts[i] > next)
            {
                body.Write(","u8);
                body.Write(pivot[next..(starts[i] - 1)]);
            }
            if (askUsage && starts[i] == layout.StreamOptionsStart && layout.StreamOptionsEnd != 0)
            {
                optionsRewritten = true;
                body.Write(",\"stream_options\":"u8);
                var value = pivot[(starts[i] + "\"stream_options\":"u8.Length)..ends[i]];
                var reader = new Utf8JsonReader(value);
                reader.Read();
                writer.Reset(body);
                WriteStreamOptionsValue(ref reader, value, writer);
                writer.Flush();
            }
            next = ends[i] + 1;
        }
        if (layout.ObjectEnd > next)
        {
            body.Write(","u8);
            body.Write(pivot[next..layout.ObjectEnd]);
        }
        if (askUsage && !optionsRewritten)
        {
            body.Write(",\"stream_options\":{\"include_usage\":true}"u8);
        }
        body.Write("}"u8);
    }

    /// <summary>Adds a member range to the cuts, kept in pivot order.</summary>
    private static void Cut(Span<int> starts, Span<int> ends, ref int cuts, int start, int end)
    {
        var at = cuts;
        while (at > 0 && starts[at - 1] > start)
        {
            starts[at] = starts[at - 1];
            ends[at] = ends[at - 1];
            at--;
        }
        starts[at] = start;
        ends[at] = end;
        cuts++;
    }

    /// <summary>The client's stream_options with include_usage forced to true; a null or non-object value becomes a new object.</summary>
    private static void WriteStreamOptions(ref Utf8JsonReader reader, ReadOnlySpan<byte> pivot, Utf8JsonWriter writer)
    {
        writer.WritePropertyName("stream_options"u8);
        WriteStreamOptionsValue(ref reader, pivot, writer);
    }

    /// <summary>The value of <see cref="WriteStreamOptions"/>.</summary>
    private static void WriteStreamOptionsValue(ref Utf8JsonReader reader, ReadOnlySpan<byte> pivot, Utf8JsonWriter writer)
    {
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
