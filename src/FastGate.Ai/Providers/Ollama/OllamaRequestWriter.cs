using System.Buffers;
using System.Text.Json;
using FastGate.Ai.Json;
using FastGate.Ai.Providers.Pivot;

namespace FastGate.Ai.Providers.Ollama;

/// <summary>
/// The pivot request as an Ollama <c>/api/chat</c> body, and an OpenAI embeddings request as an
/// <c>/api/embed</c> body (Ollama API reference, docs/api.md: "Generate a chat completion",
/// "Generate Embeddings"). Throws <see cref="TranslationException"/> for a request Ollama cannot
/// be given and <see cref="JsonException"/> for malformed JSON.
/// </summary>
/// <remarks>
/// <code>
/// messages[].content (string or text parts) -> content (a string; parts joined by a line break)
/// image_url data: URLs                      -> images[] (base64; Ollama fetches no URLs)
/// assistant tool_calls                      -> tool_calls[] {function: {name, arguments: object}}
/// tool messages                             -> role "tool", content, tool_name (from the earlier call)
/// tools                                     -> tools (OpenAI's shape is Ollama's); dropped for tool_choice "none"
/// max_(completion_)tokens, temperature, top_p, stop, seed, *_penalty -> options
/// response_format json_object / json_schema -> format "json" / the schema
/// stream                                    -> stream, always written: Ollama streams when it is absent
/// </code>
/// </remarks>
internal static class OllamaRequestWriter
{
    public static void WriteChat(ReadOnlySpan<byte> pivot, ReadOnlySpan<byte> model, bool stream, Utf8JsonWriter writer)
    {
        var request = PivotChatRequest.Scan(pivot);
        if (!request.Messages.IsArray)
        {
            throw new TranslationException("messages must be an array");
        }
        var names = new PivotToolCallNames();
        try
        {
            writer.WriteStartObject();
            writer.WriteString("model"u8, model);
            WriteMessages(pivot, request.Messages, ref names, writer);
            writer.WriteBoolean("stream"u8, stream);
            if (request.Tools.IsArray && !request.Tools.IsEmptyStringOrArray && !request.ToolChoice.StringEquals("none"u8))
            {
                writer.WritePropertyName("tools"u8);
                writer.WriteRawValue(request.Tools.Bytes, skipInputValidation: true);
            }
            WriteFormat(request.ResponseFormat, writer);
            WriteOptions(request, writer);
            writer.WriteEndObject();
        }
        finally
        {
            names.Dispose();
        }
    }

    /// <summary><c>{"model":M,"input":...}</c>: Ollama takes a string or an array of strings as OpenAI does.</summary>
    public static void WriteEmbeddings(ReadOnlySpan<byte> pivot, ReadOnlySpan<byte> model, Utf8JsonWriter writer)
    {
        var request = PivotChatRequest.Scan(pivot);
        var input = request.Input;
        if (input.IsArray)
        {
            var reader = input.Reader();
            var count = 0;
            while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
            {
                if (reader.TokenType != JsonTokenType.String)
                {
                    throw new TranslationException("ollama embeds text: input must be a string or an array of strings, not tokens");
                }
                count++;
            }
            if (count == 0)
            {
                throw new TranslationException("input must not be empty");
            }
        }
        else if (!input.IsString)
        {
            throw new TranslationException("input must be a string or an array of strings");
        }
        writer.WriteStartObject();
        writer.WriteString("model"u8, model);
        writer.WritePropertyName("input"u8);
        writer.WriteRawValue(input.Bytes, skipInputValidation: true);
        if (request.Dimensions.IsNumber)
        {
            writer.WritePropertyName("dimensions"u8);
            writer.WriteRawValue(request.Dimensions.Bytes, skipInputValidation: true);
        }
        writer.WriteEndObject();
    }

    private static void WriteMessages(ReadOnlySpan<byte> pivot, RawJson messages, ref PivotToolCallNames names, Utf8JsonWriter writer)
    {
        writer.WriteStartArray("messages"u8);
        var reader = messages.Reader();
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            var message = PivotMessage.Scan(RawJson.Capture(ref reader, messages.Bytes));
            writer.WriteStartObject();
            switch (message.Role)
            {
                case PivotRole.System:
                    writer.WriteString("role"u8, "system"u8);
                    WriteContent(message.Content, writer);
                    break;
                case PivotRole.User:
                    writer.WriteString("role"u8, "user"u8);
                    WriteContent(message.Content, writer);
                    WriteImages(message.Content, writer);
                    break;
                case PivotRole.Assistant:
                    writer.WriteString("role"u8, "assistant"u8);
                    WriteContent(message.Content, writer);
                    WriteToolCalls(pivot, message.ToolCalls, ref names, writer);
                    break;
                case PivotRole.Tool:
                    writer.WriteString("role"u8, "tool"u8);
                    WriteContent(message.Content, writer);
                    var name = names.NameOf(pivot, message.ToolCallId);
                    if (name.IsEmpty && message.Name.IsString)
                    {
                        name = message.Name.Bytes;
                    }
                    if (!name.IsEmpty)
                    {
                        writer.WritePropertyName("tool_name"u8);
                        writer.WriteRawValue(name, skipInputValidation: true);
                    }
                    break;
                default:
                    throw new TranslationException("a message has no role ollama knows (system, developer, user, assistant, tool)");
            }
            writer.WriteEndObject();
        }
        writer.WriteEndArray();
    }

    /// <summary>Ollama's content is one string: text parts joined by a line break; null as empty.</summary>
    private static void WriteContent(RawJson content, Utf8JsonWriter writer)
    {
        writer.WritePropertyName("content"u8);
        PivotText.WriteContentText(writer, content, "\\n"u8);
        if (!content.IsArray)
        {
            return;
        }
        var reader = content.Reader();
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            var part = PivotContentPart.Scan(RawJson.Capture(ref reader, content.Bytes));
            if (part.Kind == PivotPartKind.Unknown || part.Kind == PivotPartKind.InputAudio)
            {
                throw new TranslationException("ollama takes text and image_url content parts only");
            }
        }
    }

    /// <summary>The base64 of every <c>image_url</c> part, in order, as <c>images</c>.</summary>
    private static void WriteImages(RawJson content, Utf8JsonWriter writer)
    {
        if (!content.IsArray)
        {
            return;
        }
        var open = false;
        var reader = content.Reader();
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            var part = PivotContentPart.Scan(RawJson.Capture(ref reader, content.Bytes));
            if (part.Kind != PivotPartKind.ImageUrl)
            {
                continue;
            }
            var url = part.Url.Unescape(default, out var rented);
            try
            {
                if (!DataUrl.TryParse(url, out _, out var base64))
                {
                    throw new TranslationException("ollama takes images as base64 data: URLs only");
                }
                if (!open)
                {
                    writer.WriteStartArray("images"u8);
                    open = true;
                }
                writer.WriteStringValue(base64);
            }
            finally
            {
                if (rented is not null)
                {
                    ArrayPool<byte>.Shared.Return(rented);
                }
            }
        }
        if (open)
        {
            writer.WriteEndArray();
        }
    }

    private static void WriteToolCalls(ReadOnlySpan<byte> pivot, RawJson toolCalls, ref PivotToolCallNames names, Utf8JsonWriter writer)
    {
        if (!toolCalls.IsArray || toolCalls.IsEmptyStringOrArray)
        {
            return;
        }
        writer.WriteStartArray("tool_calls"u8);
        var reader = toolCalls.Reader();
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            var call = PivotToolCall.Scan(RawJson.Capture(ref reader, toolCalls.Bytes));
            names.Add(pivot, call.Id, call.Name);
            writer.WriteStartObject();
            writer.WriteStartObject("function"u8);
            writer.WritePropertyName("name"u8);
            writer.WriteRawValue(call.Name.Bytes, skipInputValidation: true);
            writer.WritePropertyName("arguments"u8);
            PivotToolCall.WriteArgumentsObject(call.Arguments, writer);
            writer.WriteEndObject();
            writer.WriteEndObject();
        }
        writer.WriteEndArray();
    }

    private static void WriteFormat(RawJson responseFormat, Utf8JsonWriter writer)
    {
        var format = PivotResponseFormat.Scan(responseFormat);
        if (format.Schema.IsObject)
        {
            writer.WritePropertyName("format"u8);
            writer.WriteRawValue(format.Schema.Bytes, skipInputValidation: true);
        }
        else if (format.Type.StringEquals("json_object"u8))
        {
            writer.WriteString("format"u8, "json"u8);
        }
    }

    private static void WriteOptions(in PivotChatRequest request, Utf8JsonWriter writer)
    {
        var options = new PivotOptionsWriter(writer, "options"u8);
        options.Number("num_predict"u8, request.OutputLimit);
        options.Number("temperature"u8, request.Temperature);
        options.Number("top_p"u8, request.TopP);
        options.Number("seed"u8, request.Seed);
        options.Number("presence_penalty"u8, request.PresencePenalty);
        options.Number("frequency_penalty"u8, request.FrequencyPenalty);
        options.StopSequences("stop"u8, request.Stop);
        options.End();
    }
}
