using System.Buffers;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Unicode;
using FastGate.Ai.Json;

namespace FastGate.Ai.Providers.OpenAi;

/// <summary>
/// Writes the upstream body for an OpenAI-kind provider from the pivot: every member copied as it came, the
/// model replaced by the target's, <c>stream</c> as <see cref="RequestFacts.Stream"/> says (a pivot written by
/// another front may not carry it), and on chat streams <c>stream_options.include_usage</c> set to true (its
/// other members kept) so the provider reports usage whatever the client asked.
/// </summary>
/// <remarks>
/// One reader pass validates the pivot and finds the top-level members to drop or rewrite; the members
/// kept are copied as raw byte ranges of the pivot (a run of neighbours as one range, the white space
/// between them included), so only the model, stream and stream_options are written here. A kept member's
/// name must be valid UTF-8 once unescaped (what a JSON writer would demand); values are copied as the
/// reader passed them. On false the body holds a partial write the caller discards.
/// </remarks>
internal static class OpenAiRequestWriter
{
    private const int NameStackBytes = 256;

    private enum Member : byte
    {
        Kept,
        Model,
        Stream,
        StreamOptions,
    }

    public static bool TryWrite(ClientApi api, ReadOnlySpan<byte> pivot, in RequestFacts facts, ReadOnlySpan<byte> model, IBufferWriter<byte> body, out AiError error)
    {
        error = default;
        // Embeddings have no stream member; chat and responses get the stream the stage will read.
        var setsStream = api != ClientApi.OpenAiEmbeddings;
        var askUsage = api == ClientApi.OpenAiChat && facts.Stream;
        try
        {
            var reader = new Utf8JsonReader(pivot);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                error = NotAnObject();
                return false;
            }
            // The model (and stream) go first: the pivot's own members, wherever they are, are dropped below.
            WriteHead(model, setsStream && facts.Stream, body);
            var wroteStreamOptions = false;
            var run = new KeptRun();
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var memberStart = (int)reader.TokenStartIndex;
                var member = Classify(ref reader, setsStream);
                if (member == Member.Kept || (member == Member.StreamOptions && facts.Stream && !askUsage))
                {
                    // A responses stream keeps the client's stream_options as they came.
                    reader.Read();
                    reader.Skip();
                    run.Extend(memberStart, (int)reader.BytesConsumed);
                    continue;
                }
                run.Flush(pivot, body, separate: true);
                reader.Read();
                if (member == Member.StreamOptions && askUsage)
                {
                    WriteStreamOptions(ref reader, pivot, body);
                    wroteStreamOptions = true;
                    continue;
                }
                // The model and stream are written above; OpenAI refuses stream_options on a request that does not stream.
                reader.Skip();
            }
            run.Flush(pivot, body, separate: true);
            if (askUsage && !wroteStreamOptions)
            {
                Append(body, ",\"stream_options\":{\"include_usage\":true}}"u8);
            }
            else
            {
                Append(body, "}"u8);
            }
            return true;
        }
        catch (Exception e) when (e is JsonException or ArgumentException or InvalidOperationException)
        {
            // Not JSON, or a name no JSON writer would take (invalid UTF-8): the front should have caught it.
            error = NotAnObject();
            return false;
        }
    }

    /// <summary>Which member the reader's property name is (escapes undone, as the provider reads it); a kept name is checked to be valid UTF-8.</summary>
    private static Member Classify(ref Utf8JsonReader reader, bool setsStream)
    {
        var member = reader.ValueIsEscaped ? ClassifyEscaped(ref reader) : ClassifyPlain(reader.ValueSpan);
        if (member == Member.Kept || (!setsStream && member != Member.Model))
        {
            ValidateName(ref reader);
            return Member.Kept;
        }
        return member;
    }

    /// <summary>A name without escapes, as its bytes (what nearly every client sends).</summary>
    private static Member ClassifyPlain(ReadOnlySpan<byte> name) => name.Length switch
    {
        5 when name.SequenceEqual("model"u8) => Member.Model,
        6 when name.SequenceEqual("stream"u8) => Member.Stream,
        14 when name.SequenceEqual("stream_options"u8) => Member.StreamOptions,
        _ => Member.Kept,
    };

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static Member ClassifyEscaped(ref Utf8JsonReader reader)
    {
        if (reader.ValueTextEquals("model"u8))
        {
            return Member.Model;
        }
        if (reader.ValueTextEquals("stream"u8))
        {
            return Member.Stream;
        }
        return reader.ValueTextEquals("stream_options"u8) ? Member.StreamOptions : Member.Kept;
    }

    /// <summary>
    /// Writes <c>,"stream_options":{...}</c>: the client's members but include_usage, then include_usage true; a
    /// null or non-object value becomes a new object. The reader stands on the value and ends on its last token.
    /// </summary>
    private static void WriteStreamOptions(ref Utf8JsonReader reader, ReadOnlySpan<byte> pivot, IBufferWriter<byte> body)
    {
        Append(body, ",\"stream_options\":{"u8);
        var wroteMember = false;
        if (reader.TokenType == JsonTokenType.StartObject)
        {
            var run = new KeptRun();
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var memberStart = (int)reader.TokenStartIndex;
                var isIncludeUsage = reader.ValueTextEquals("include_usage"u8);
                if (!isIncludeUsage)
                {
                    ValidateName(ref reader);
                }
                reader.Read();
                reader.Skip();
                if (isIncludeUsage)
                {
                    wroteMember |= run.Flush(pivot, body, separate: wroteMember);
                    continue;
                }
                run.Extend(memberStart, (int)reader.BytesConsumed);
            }
            wroteMember |= run.Flush(pivot, body, separate: wroteMember);
        }
        else
        {
            reader.Skip();
        }
        Append(body, wroteMember ? ",\"include_usage\":true}"u8 : "\"include_usage\":true}"u8);
    }

    /// <summary>
    /// Throws when the property name the reader stands on is not valid UTF-8 once unescaped: the name is
    /// copied raw, and a JSON writer (what wrote the body before) refuses such a name with an error.
    /// </summary>
    private static void ValidateName(ref Utf8JsonReader reader)
    {
        var name = reader.ValueSpan;
        if (!reader.ValueIsEscaped)
        {
            if (!Utf8.IsValid(name))
            {
                throw new ArgumentException("a property name is not valid UTF-8");
            }
            return;
        }
        // Rare: unescaped as a writer would see it (a lone surrogate escape throws here).
        byte[]? rented = null;
        var buffer = name.Length <= NameStackBytes ? stackalloc byte[NameStackBytes] : (rented = ArrayPool<byte>.Shared.Rent(name.Length));
        try
        {
            var length = reader.CopyString(buffer);
            if (!Utf8.IsValid(buffer[..length]))
            {
                throw new ArgumentException("a property name is not valid UTF-8");
            }
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    /// <summary><c>{"model":"..."</c> and <c>,"stream":true</c> when asked; a model with bytes JSON must escape goes through the writer.</summary>
    private static void WriteHead(ReadOnlySpan<byte> model, bool stream, IBufferWriter<byte> body)
    {
        if (NeedsEscaping(model))
        {
            WriteHeadEscaped(model, stream, body);
            return;
        }
        ReadOnlySpan<byte> open = "{\"model\":\""u8;
        ReadOnlySpan<byte> close = stream ? "\",\"stream\":true"u8 : "\""u8;
        var span = body.GetSpan(open.Length + model.Length + close.Length);
        open.CopyTo(span);
        model.CopyTo(span[open.Length..]);
        close.CopyTo(span[(open.Length + model.Length)..]);
        body.Advance(open.Length + model.Length + close.Length);
    }

    /// <summary>Anything but printable ASCII other than a quote or a backslash (model names are plain ASCII in practice).</summary>
    private static bool NeedsEscaping(ReadOnlySpan<byte> text)
    {
        foreach (var b in text)
        {
            if (b < 0x20 || b >= 0x7F || b == (byte)'"' || b == (byte)'\\')
            {
                return true;
            }
        }
        return false;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void WriteHeadEscaped(ReadOnlySpan<byte> model, bool stream, IBufferWriter<byte> body)
    {
        var writer = JsonWriters.For(body);
        writer.WriteStartObject();
        writer.WriteString("model"u8, model);
        if (stream)
        {
            writer.WriteBoolean("stream"u8, true);
        }
        writer.Flush();
    }

    private static void Append(IBufferWriter<byte> body, ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(body.GetSpan(bytes.Length));
        body.Advance(bytes.Length);
    }

    private static AiError NotAnObject() => new(400, "invalid_request_error", "the request body is not a JSON object");

    /// <summary>
    /// Neighbouring members kept as they came, from the first one's name to the last one's value: the
    /// commas and white space between them are the pivot's own, so the run is copied as one range.
    /// </summary>
    private struct KeptRun
    {
        private int _start;
        private int _end;

        public void Extend(int memberStart, int memberEnd)
        {
            if (_end == 0)
            {
                _start = memberStart;
            }
            _end = memberEnd;
        }

        /// <summary>Copies the run (after a comma when <paramref name="separate"/>) and empties it; false when it was empty.</summary>
        public bool Flush(ReadOnlySpan<byte> pivot, IBufferWriter<byte> body, bool separate)
        {
            if (_end == 0)
            {
                return false;
            }
            var bytes = pivot[_start.._end];
            var offset = separate ? 1 : 0;
            var span = body.GetSpan(bytes.Length + offset);
            if (separate)
            {
                span[0] = (byte)',';
            }
            bytes.CopyTo(span[offset..]);
            body.Advance(bytes.Length + offset);
            _start = _end = 0;
            return true;
        }
    }
}
