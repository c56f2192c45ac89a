using System.Text.Json;

namespace FastGate.Ai.Providers.OpenAi;

/// <summary>
/// Reads the SSE events of an OpenAI-kind stream. For chat completions every <c>data:</c> event already is a
/// pivot chunk: it goes to the sink as it came, with the text it adds; usage is read from any chunk that
/// carries one (also from a chunk whose choices are not empty, as some compatible servers send it);
/// <c>[DONE]</c> ends the stream and <c>{"error":...}</c> fails it. For responses (events whose <c>type</c> is
/// <c>response.*</c> or <c>error</c>) the stage passes the events through itself: only the usage of
/// <c>response.completed</c> (and of <c>response.incomplete</c> and <c>response.failed</c>, which are billed
/// too) is read, and those three end the stream; no chunk is emitted.
/// One pass of a <see cref="Utf8JsonReader"/> over the event's bytes; nothing is allocated per event.
/// </summary>
internal sealed class OpenAiStreamDecoder : ProviderStreamDecoder
{
    // The text of a chunk that adds several pieces (content and tool-call arguments, or two tool calls),
    // joined; grown once to the largest such chunk and kept for the exchange.
    private byte[] _joined = new byte[256];

    /// <summary>
    /// The last event was a chunk with an empty choices array and a usage object (the one include_usage adds),
    /// told as <see cref="OpenAiChatStreamEncoder.IsUsageOnly"/> tells it, from the same read that took its usage:
    /// a pass-through stage that drops it for a client that did not ask need not read it twice.
    /// </summary>
    public bool LastWasUsageOnly { get; private set; }

    public override void Reset(in RequestFacts facts)
    {
        LastWasUsageOnly = false;
    }

    public override bool OnEvent(ReadOnlySpan<byte> eventType, ReadOnlySpan<byte> data, IPivotStreamSink sink, ref TokenUsage usage)
    {
        LastWasUsageOnly = false;
        data = data.Trim(" \t\r\n"u8);
        if (data.IsEmpty)
        {
            // A keep-alive or a comment-only block: nothing to decode.
            return true;
        }
        if (data.SequenceEqual("[DONE]"u8))
        {
            sink.Done();
            return true;
        }
        try
        {
            return Decode(data, sink, ref usage);
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private bool Decode(ReadOnlySpan<byte> data, IPivotStreamSink sink, ref TokenUsage usage)
    {
        var reader = new Utf8JsonReader(data);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            return false;
        }
        ReadOnlySpan<byte> type = default;
        ReadOnlySpan<byte> text = default;
        var pieces = 0;
        var joinedLength = 0;
        var chunkUsage = usage;
        var responseUsage = usage;
        var hasResponseUsage = false;
        var hasError = false;
        string? errorMessage = null, errorType = null, errorCode = null;
        // IsUsageOnly's answer, decided at the first member that settles it, as it decides.
        bool? usageOnly = null;
        bool emptyChoices = false, hasUsage = false;

        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("choices"u8))
            {
                reader.Read();
                if (reader.TokenType != JsonTokenType.StartArray)
                {
                    usageOnly ??= false;
                    reader.Skip();
                    continue;
                }
                var choices = 0;
                while (reader.Read() && reader.TokenType == JsonTokenType.StartObject)
                {
                    choices++;
                    ReadChoice(ref reader, ref text, ref pieces, ref joinedLength);
                }
                if (choices == 0 && reader.TokenType == JsonTokenType.EndArray)
                {
                    emptyChoices = true;
                }
                else
                {
                    usageOnly ??= false;
                }
            }
            else if (reader.ValueTextEquals("usage"u8))
            {
                reader.Read();
                if (reader.TokenType == JsonTokenType.StartObject)
                {
                    hasUsage = true;
                    OpenAiUsage.Read(ref reader, ref chunkUsage);
                }
                else
                {
                    usageOnly ??= false;
                    reader.Skip();
                }
            }
            else if (reader.ValueTextEquals("type"u8))
            {
                reader.Read();
                if (reader.TokenType == JsonTokenType.String)
                {
                    type = reader.ValueSpan;
                }
                else
                {
                    reader.Skip();
                }
            }
            else if (reader.ValueTextEquals("response"u8))
            {
                reader.Read();
                hasResponseUsage |= ReadResponseUsage(ref reader, ref responseUsage);
            }
            else if (reader.ValueTextEquals("error"u8))
            {
                reader.Read();
                if (reader.TokenType != JsonTokenType.Null)
                {
                    hasError = true;
                    OpenAiErrors.ReadErrorValue(ref reader, out errorMessage, out errorType, out errorCode);
                }
            }
            else if (reader.ValueTextEquals("message"u8))
            {
                // The message of a responses "error" event, which has no error member.
                reader.Read();
                if (reader.TokenType == JsonTokenType.String && type.SequenceEqual("error"u8))
                {
                    errorMessage = reader.GetString();
                }
                else
                {
                    reader.Skip();
                }
            }
            else if (reader.ValueTextEquals("code"u8))
            {
                reader.Read();
                if (type.SequenceEqual("error"u8))
                {
                    errorCode = OpenAiErrors.ScalarText(ref reader);
                }
                else
                {
                    reader.Skip();
                }
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
            if (emptyChoices && hasUsage)
            {
                usageOnly ??= true;
            }
        }
        if (reader.Read())
        {
            return false;
        }
        LastWasUsageOnly = usageOnly == true;

        if (type.StartsWith("response."u8))
        {
            if (type.SequenceEqual("response.completed"u8) || type.SequenceEqual("response.incomplete"u8) || type.SequenceEqual("response.failed"u8))
            {
                if (hasResponseUsage)
                {
                    usage = responseUsage;
                }
                sink.Done();
            }
            return true;
        }
        if (type.SequenceEqual("error"u8) || hasError)
        {
            // "message" may come before "type" in a responses error event; read it again in that rare case.
            if (errorMessage is null && !hasError)
            {
                ReadTopLevelErrorText(data, out errorMessage, out errorCode);
            }
            sink.Error(OpenAiErrors.FromStreamError(errorMessage, errorType, errorCode));
            return true;
        }
        usage = chunkUsage;
        sink.Chunk(data, pieces > 1 ? _joined.AsSpan(0, joinedLength) : text);
        return true;
    }

    /// <summary>One element of choices: the reader is on its StartObject and ends on its EndObject.</summary>
    private void ReadChoice(ref Utf8JsonReader reader, ref ReadOnlySpan<byte> text, ref int pieces, ref int joinedLength)
    {
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (!reader.ValueTextEquals("delta"u8))
            {
                reader.Read();
                reader.Skip();
                continue;
            }
            reader.Read();
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                reader.Skip();
                continue;
            }
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("content"u8) || reader.ValueTextEquals("reasoning_content"u8)
                    || reader.ValueTextEquals("reasoning"u8) || reader.ValueTextEquals("refusal"u8))
                {
                    reader.Read();
                    AddText(ref reader, ref text, ref pieces, ref joinedLength);
                }
                else if (reader.ValueTextEquals("tool_calls"u8))
                {
                    reader.Read();
                    ReadToolCalls(ref reader, ref text, ref pieces, ref joinedLength);
                }
                else
                {
                    reader.Read();
                    reader.Skip();
                }
            }
        }
    }

    /// <summary>The arguments pieces of delta.tool_calls[].function; the reader is on the array and ends on its end.</summary>
    private void ReadToolCalls(ref Utf8JsonReader reader, ref ReadOnlySpan<byte> text, ref int pieces, ref int joinedLength)
    {
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            reader.Skip();
            return;
        }
        while (reader.Read() && reader.TokenType == JsonTokenType.StartObject)
        {
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (!reader.ValueTextEquals("function"u8))
                {
                    reader.Read();
                    reader.Skip();
                    continue;
                }
                reader.Read();
                if (reader.TokenType != JsonTokenType.StartObject)
                {
                    reader.Skip();
                    continue;
                }
                while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                {
                    var isArguments = reader.ValueTextEquals("arguments"u8);
                    reader.Read();
                    if (isArguments)
                    {
                        AddText(ref reader, ref text, ref pieces, ref joinedLength);
                    }
                    else
                    {
                        reader.Skip();
                    }
                }
            }
        }
    }

    /// <summary>Adds a string's raw bytes (escapes left in) to the chunk's text; the first piece is a slice of the event, more are joined.</summary>
    private void AddText(ref Utf8JsonReader reader, ref ReadOnlySpan<byte> text, ref int pieces, ref int joinedLength)
    {
        if (reader.TokenType != JsonTokenType.String)
        {
            reader.Skip();
            return;
        }
        var piece = reader.ValueSpan;
        if (piece.IsEmpty)
        {
            return;
        }
        if (pieces == 0)
        {
            text = piece;
            pieces = 1;
            return;
        }
        if (pieces == 1)
        {
            joinedLength = 0;
            Append(text, ref joinedLength);
        }
        Append(piece, ref joinedLength);
        pieces++;
    }

    private void Append(ReadOnlySpan<byte> piece, ref int joinedLength)
    {
        if (_joined.Length < joinedLength + piece.Length)
        {
            Array.Resize(ref _joined, Math.Max(_joined.Length * 2, joinedLength + piece.Length));
        }
        piece.CopyTo(_joined.AsSpan(joinedLength));
        joinedLength += piece.Length;
    }

    /// <summary>The usage member of a responses event's <c>response</c> object; true when there was one.</summary>
    private static bool ReadResponseUsage(ref Utf8JsonReader reader, ref TokenUsage usage)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            reader.Skip();
            return false;
        }
        var found = false;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var isUsage = reader.ValueTextEquals("usage"u8);
            reader.Read();
            if (isUsage && reader.TokenType == JsonTokenType.StartObject)
            {
                OpenAiUsage.Read(ref reader, ref usage);
                found = true;
            }
            else
            {
                reader.Skip();
            }
        }
        return found;
    }

    private static void ReadTopLevelErrorText(ReadOnlySpan<byte> data, out string? message, out string? code)
    {
        message = code = null;
        var reader = new Utf8JsonReader(data);
        reader.Read();
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("message"u8))
            {
                reader.Read();
                message = OpenAiErrors.ScalarText(ref reader);
            }
            else if (reader.ValueTextEquals("code"u8))
            {
                reader.Read();
                code = OpenAiErrors.ScalarText(ref reader);
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }
    }
}
