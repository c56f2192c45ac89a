using System.Buffers;
using System.Text.Json;

namespace FastGate.Ai.Providers.OpenAi;

/// <summary>
/// Checks an OpenAI client's request (chat completions, embeddings, responses) and writes it as the pivot:
/// the body as it came, or, when the model name has JSON escapes, the body with the model unescaped so that
/// <see cref="RequestFacts.ModelStart"/> points at the name's plain UTF-8 bytes. The pivot writer is expected
/// empty: the model's offset is from its start. Errors say what is wrong in the words of the API's fields.
/// </summary>
internal static class OpenAiRequestReader
{
    public static bool TryRead(ClientApi api, ReadOnlySpan<byte> body, IBufferWriter<byte> pivot, out RequestFacts facts, out AiError error)
    {
        facts = default;
        error = default;
        var modelStart = -1;
        var modelEnd = -1;
        byte[]? unescaped = null;
        var unescapedLength = 0;
        var hasRequired = false;
        if (body.Trim(" \t\r\n"u8).IsEmpty)
        {
            error = Invalid("the body is empty; it must be a JSON object");
            return false;
        }
        try
        {
            var reader = new Utf8JsonReader(body);
            reader.Read();
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                error = Invalid("the body must be a JSON object");
                return false;
            }
            var layout = new PivotLayout { Known = true, ObjectStart = (int)reader.TokenStartIndex };
            var member = LayoutMember.None;
            var memberStart = 0;
            while (true)
            {
                // The reader stands on the last token of the previous member's value (or on the '{').
                var valueEnd = (int)reader.BytesConsumed;
                if (member != LayoutMember.None)
                {
                    layout.Known &= Record(ref layout, member, memberStart, valueEnd);
                }
                if (!reader.Read() || reader.TokenType != JsonTokenType.PropertyName)
                {
                    layout.Known &= reader.TokenType == JsonTokenType.EndObject && (int)reader.TokenStartIndex == valueEnd;
                    layout.ObjectEnd = (int)reader.TokenStartIndex;
                    break;
                }
                member = LayoutMember.None;
                if (layout.Known)
                {
                    memberStart = (int)reader.TokenStartIndex;
                    layout.Known = IsCompactPlainName(ref reader, body, memberStart, valueEnd, layout.ObjectStart, out member);
                }
                if (reader.ValueTextEquals("model"u8))
                {
                    reader.Read();
                    if (reader.TokenType == JsonTokenType.Null)
                    {
                        continue;
                    }
                    if (reader.TokenType != JsonTokenType.String)
                    {
                        error = Invalid("model must be a string");
                        return false;
                    }
                    modelStart = (int)reader.TokenStartIndex;
                    modelEnd = (int)reader.BytesConsumed;
                    if (unescaped is not null)
                    {
                        // A second model member (the last one counts, as in most JSON readers).
                        ArrayPool<byte>.Shared.Return(unescaped);
                        unescaped = null;
                    }
                    if (reader.ValueIsEscaped)
                    {
                        unescaped = ArrayPool<byte>.Shared.Rent(reader.ValueSpan.Length);
                        unescapedLength = reader.CopyString(unescaped);
                    }
                }
                else if (api == ClientApi.OpenAiChat && reader.ValueTextEquals("messages"u8))
                {
                    reader.Read();
                    if (reader.TokenType != JsonTokenType.StartArray)
                    {
                        error = Invalid("messages must be an array");
                        return false;
                    }
                    reader.Skip();
                    hasRequired = true;
                }
                else if (api == ClientApi.OpenAiEmbeddings && reader.ValueTextEquals("input"u8))
                {
                    reader.Read();
                    if (reader.TokenType is not (JsonTokenType.String or JsonTokenType.StartArray))
                    {
                        error = Invalid("input must be a string or an array");
                        return false;
                    }
                    reader.Skip();
                    hasRequired = true;
                }
                else if (api == ClientApi.OpenAiEmbeddings && reader.ValueTextEquals("encoding_format"u8))
                {
                    reader.Read();
                    if (reader.TokenType == JsonTokenType.Null)
                    {
                        continue;
                    }
                    if (reader.TokenType != JsonTokenType.String || !(reader.ValueTextEquals("float"u8) || reader.ValueTextEquals("base64"u8)))
                    {
                        error = Invalid("encoding_format must be \"float\" or \"base64\"");
                        return false;
                    }
                    facts.EmbeddingsAsBase64 = reader.ValueTextEquals("base64"u8);
                }
                else if (api != ClientApi.OpenAiEmbeddings && reader.ValueTextEquals("stream"u8))
                {
                    reader.Read();
                    if (reader.TokenType is not (JsonTokenType.True or JsonTokenType.False or JsonTokenType.Null))
                    {
                        error = Invalid("stream must be a boolean");
                        return false;
                    }
                    facts.Stream = reader.TokenType == JsonTokenType.True;
                }
                else if (api == ClientApi.OpenAiChat && reader.ValueTextEquals("stream_options"u8))
                {
                    reader.Read();
                    facts.ClientWantsUsage = ReadIncludeUsage(ref reader);
                }
                else if (api == ClientApi.OpenAiChat && reader.ValueTextEquals("n"u8))
                {
                    reader.Read();
                    if (reader.TokenType == JsonTokenType.Null)
                    {
                        continue;
                    }
                    // OpenAI takes 1 to 128; a provider with a lower cap (Gemini: 8) answers its own 400.
                    if (reader.TokenType != JsonTokenType.Number || !reader.TryGetInt32(out var choices) || choices is < 1 or > 128)
                    {
                        error = Invalid("n must be a whole number from 1 to 128");
                        return false;
                    }
                    facts.Choices = choices;
                }
                else if (api == ClientApi.OpenAiChat && (reader.ValueTextEquals("max_tokens"u8) || reader.ValueTextEquals("max_completion_tokens"u8))
                    || api == ClientApi.OpenAiResponses && reader.ValueTextEquals("max_output_tokens"u8))
                {
                    reader.Read();
                    if (reader.TokenType == JsonTokenType.Null)
                    {
                        continue;
                    }
                    if (reader.TokenType != JsonTokenType.Number || !reader.TryGetInt64(out var maxTokens) || maxTokens < 0)
                    {
                        error = Invalid("max_tokens, max_completion_tokens and max_output_tokens must be whole numbers, 0 or more");
                        return false;
                    }
                    // max_completion_tokens replaced max_tokens; a client sending both gets the smaller cap.
                    facts.MaxTokens = facts.MaxTokens == 0 ? maxTokens : Math.Min(facts.MaxTokens, maxTokens);
                }
                else
                {
                    reader.Read();
                    reader.Skip();
                }
            }
            if (reader.Read())
            {
                error = NotJson();
                return false;
            }

            if (modelStart < 0 || modelEnd - modelStart <= 2)
            {
                error = Invalid("model is required");
                return false;
            }
            if (!hasRequired && api != ClientApi.OpenAiResponses)
            {
                error = Invalid(api == ClientApi.OpenAiEmbeddings ? "input is required" : "messages is required");
                return false;
            }
            if (unescaped is null)
            {
                pivot.Write(body);
                facts.Layout = layout;
                facts.ModelStart = modelStart + 1;
                facts.ModelLength = modelEnd - modelStart - 2;
                return true;
            }
            var model = unescaped.AsSpan(0, unescapedLength);
            if (model.IsEmpty)
            {
                error = Invalid("model is required");
                return false;
            }
            if (model.IndexOfAnyInRange((byte)0, (byte)0x1F) >= 0 || model.IndexOfAny((byte)'"', (byte)'\\') >= 0)
            {
                // Such a name would need escapes again, and no provider has a model called that.
                error = Invalid("model holds characters a model name cannot have");
                return false;
            }
            pivot.Write(body[..modelStart]);
            pivot.Write("\""u8);
            pivot.Write(model);
            pivot.Write("\""u8);
            pivot.Write(body[modelEnd..]);
            facts.ModelStart = modelStart + 1;
            facts.ModelLength = model.Length;
            return true;
        }
        catch (JsonException)
        {
            error = NotJson();
            return false;
        }
        finally
        {
            if (unescaped is not null)
            {
                ArrayPool<byte>.Shared.Return(unescaped);
            }
        }
    }

    /// <summary>The top-level members whose place <see cref="PivotLayout"/> records.</summary>
    private enum LayoutMember : byte
    {
        None,
        Model,
        Stream,
        StreamOptions,
    }

    /// <summary>
    /// The property name the reader stands on keeps the layout known: it follows the '{' or the previous value's
    /// comma with no white space, is plain, and its colon is followed by its value with no white space.
    /// <paramref name="member"/> says whether it is one of the members the layout records.
    /// </summary>
    private static bool IsCompactPlainName(ref Utf8JsonReader reader, ReadOnlySpan<byte> body, int nameStart, int previousEnd, int objectStart, out LayoutMember member)
    {
        member = LayoutMember.None;
        var name = reader.ValueSpan;
        var colon = nameStart + name.Length + 2;
        var follows = previousEnd == objectStart + 1 ? nameStart == previousEnd : nameStart == previousEnd + 1;
        if (!follows || reader.ValueIsEscaped || colon + 1 >= body.Length || body[colon] != (byte)':'
            || body[colon + 1] is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n' || !PivotLayout.IsPlainName(name))
        {
            return false;
        }
        member = name.SequenceEqual("model"u8) ? LayoutMember.Model
            : name.SequenceEqual("stream"u8) ? LayoutMember.Stream
            : name.SequenceEqual("stream_options"u8) ? LayoutMember.StreamOptions
            : LayoutMember.None;
        return true;
    }

    /// <summary>Records a member's range; false when the member came before (the writer would drop every copy).</summary>
    private static bool Record(ref PivotLayout layout, LayoutMember member, int start, int end)
    {
        switch (member)
        {
            case LayoutMember.Model when layout.ModelEnd == 0:
                (layout.ModelStart, layout.ModelEnd) = (start, end);
                return true;
            case LayoutMember.Stream when layout.StreamEnd == 0:
                (layout.StreamStart, layout.StreamEnd) = (start, end);
                return true;
            case LayoutMember.StreamOptions when layout.StreamOptionsEnd == 0:
                (layout.StreamOptionsStart, layout.StreamOptionsEnd) = (start, end);
                return true;
            default:
                return false;
        }
    }

    /// <summary>stream_options.include_usage; the reader is on the value's first token and ends on its last.</summary>
    private static bool ReadIncludeUsage(ref Utf8JsonReader reader)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            reader.Skip();
            return false;
        }
        var includeUsage = false;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var isIncludeUsage = reader.ValueTextEquals("include_usage"u8);
            reader.Read();
            if (isIncludeUsage)
            {
                includeUsage = reader.TokenType == JsonTokenType.True;
            }
            reader.Skip();
        }
        return includeUsage;
    }

    private static AiError Invalid(string message) => new(400, "invalid_request_error", message);

    private static AiError NotJson() => Invalid("the body is not valid JSON");
}
