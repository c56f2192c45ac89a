using System.Buffers;
using System.Text;
using System.Text.Json;
using FastGate.Ai.Json;
using FastGate.Ai.Providers.Pivot;

namespace FastGate.Ai.Providers.Gemini;

/// <summary>
/// The pivot request (OpenAI Chat Completions) as a Gemini <c>GenerateContentRequest</c>, and an
/// OpenAI embeddings request as a <c>BatchEmbedContentsRequest</c> (Gemini API reference,
/// ai.google.dev/api: "Generating content", "Embeddings"). Throws <see cref="TranslationException"/>
/// for a request Gemini cannot be given and <see cref="JsonException"/> for malformed JSON.
/// </summary>
/// <remarks>
/// <code>
/// system / developer messages        -> systemInstruction.parts[].text
/// user                               -> contents[] role "user": text, inlineData (data: URLs), fileData (http URLs)
/// assistant                          -> contents[] role "model": text, functionCall {name, args}
/// tool (consecutive ones together)   -> contents[] role "user": functionResponse {name, response: {content}}
/// tools[].function                   -> tools[0].functionDeclarations[] {name, description, parametersJsonSchema}
/// tool_choice none|auto|required|{function}  -> toolConfig.functionCallingConfig NONE|AUTO|ANY|ANY+allowedFunctionNames
/// max_(completion_)tokens, temperature, top_p, stop, seed, n, *_penalty, response_format -> generationConfig
/// </code>
/// Function parameters go in <c>parametersJsonSchema</c>, which takes JSON Schema as OpenAI
/// clients write it; the older <c>parameters</c> field is an OpenAPI subset that rejects common
/// keywords such as <c>additionalProperties</c>.
/// </remarks>
internal static class GeminiRequestWriter
{
    /// <summary>
    /// Gemini 3 models refuse a function call in the history without the thought signature they
    /// gave it, and an OpenAI-shaped conversation cannot carry one back. Google's documented
    /// sentinel (ai.google.dev/gemini-api/docs/thought-signatures) tells the API to skip the check.
    /// </summary>
    private static ReadOnlySpan<byte> SkipThoughtSignature => "skip_thought_signature_validator"u8;

    public static void WriteChat(ReadOnlySpan<byte> pivot, ReadOnlySpan<byte> model, Utf8JsonWriter writer)
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
            WriteContents(pivot, request.Messages, SignsFunctionCalls(model), ref names, writer);
            WriteSystemInstruction(request.Messages, writer);
            var wroteTools = WriteTools(request.Tools, writer);
            if (wroteTools)
            {
                WriteToolConfig(request.ToolChoice, writer);
            }
            WriteGenerationConfig(request, writer);
            writer.WriteEndObject();
        }
        finally
        {
            names.Dispose();
        }
    }

    /// <summary><c>{"requests":[{"model":"models/M","content":{"parts":[{"text":...}]}}...]}</c>, one request per input string.</summary>
    public static void WriteEmbeddings(ReadOnlySpan<byte> pivot, ReadOnlySpan<byte> model, Utf8JsonWriter writer)
    {
        var request = PivotChatRequest.Scan(pivot);
        var input = request.Input;
        if (!input.IsString && !input.IsArray)
        {
            throw new TranslationException("input must be a string or an array of strings");
        }
        var qualified = "models/"u8;
        if (model.StartsWith(qualified))
        {
            model = model[qualified.Length..];
        }
        var modelName = qualified.Length + model.Length <= 256 ? null : ArrayPool<byte>.Shared.Rent(qualified.Length + model.Length);
        try
        {
            Span<byte> name = modelName ?? stackalloc byte[256];
            qualified.CopyTo(name);
            model.CopyTo(name[qualified.Length..]);
            name = name[..(qualified.Length + model.Length)];

            writer.WriteStartObject();
            writer.WriteStartArray("requests"u8);
            if (input.IsString)
            {
                WriteEmbedRequest(name, input, request.Dimensions, writer);
            }
            else
            {
                var reader = input.Reader();
                var count = 0;
                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                {
                    var item = RawJson.Capture(ref reader, input.Bytes);
                    if (!item.IsString)
                    {
                        throw new TranslationException("gemini embeds text: input must be a string or an array of strings, not tokens");
                    }
                    WriteEmbedRequest(name, item, request.Dimensions, writer);
                    count++;
                }
                if (count == 0)
                {
                    throw new TranslationException("input must not be empty");
                }
            }
            writer.WriteEndArray();
            writer.WriteEndObject();
        }
        finally
        {
            if (modelName is not null)
            {
                ArrayPool<byte>.Shared.Return(modelName);
            }
        }
    }

    private static void WriteEmbedRequest(ReadOnlySpan<byte> modelName, RawJson text, RawJson dimensions, Utf8JsonWriter writer)
    {
        writer.WriteStartObject();
        writer.WriteString("model"u8, modelName);
        writer.WriteStartObject("content"u8);
        writer.WriteStartArray("parts"u8);
        writer.WriteStartObject();
        writer.WritePropertyName("text"u8);
        writer.WriteRawValue(text.Bytes, skipInputValidation: true);
        writer.WriteEndObject();
        writer.WriteEndArray();
        writer.WriteEndObject();
        if (dimensions.IsNumber)
        {
            writer.WritePropertyName("outputDimensionality"u8);
            writer.WriteRawValue(dimensions.Bytes, skipInputValidation: true);
        }
        writer.WriteEndObject();
    }

    /// <summary>True for <c>gemini-N...</c> with N of 3 or more: the models that check thought signatures.</summary>
    internal static bool SignsFunctionCalls(ReadOnlySpan<byte> model)
    {
        var prefix = "gemini-"u8;
        for (var at = 0; at + prefix.Length < model.Length; at++)
        {
            if (!Ascii.EqualsIgnoreCase(model.Slice(at, prefix.Length), prefix))
            {
                continue;
            }
            var digits = model[(at + prefix.Length)..];
            var end = digits.IndexOfAnyExceptInRange((byte)'0', (byte)'9');
            digits = end < 0 ? digits : digits[..end];
            return System.Buffers.Text.Utf8Parser.TryParse(digits, out int major, out _) && major >= 3;
        }
        return false;
    }

    private static void WriteContents(ReadOnlySpan<byte> pivot, RawJson messages, bool signCalls, ref PivotToolCallNames names, Utf8JsonWriter writer)
    {
        writer.WriteStartArray("contents"u8);
        var toolTurnOpen = false;
        var reader = messages.Reader();
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            var message = PivotMessage.Scan(RawJson.Capture(ref reader, messages.Bytes));
            if (message.Role == PivotRole.Tool)
            {
                if (!toolTurnOpen)
                {
                    // Gemini wants the answers to one turn's function calls together, in one user turn.
                    OpenTurn("user"u8, writer);
                    toolTurnOpen = true;
                }
                WriteFunctionResponse(pivot, message, ref names, writer);
                continue;
            }
            if (toolTurnOpen)
            {
                CloseTurn(writer);
                toolTurnOpen = false;
            }
            switch (message.Role)
            {
                case PivotRole.System:
                    break;
                case PivotRole.User:
                    WriteUserTurn(message, writer);
                    break;
                case PivotRole.Assistant:
                    WriteModelTurn(pivot, message, signCalls, ref names, writer);
                    break;
                default:
                    throw new TranslationException("a message has no role gemini knows (system, developer, user, assistant, tool)");
            }
        }
        if (toolTurnOpen)
        {
            CloseTurn(writer);
        }
        writer.WriteEndArray();
    }

    private static void OpenTurn(ReadOnlySpan<byte> role, Utf8JsonWriter writer)
    {
        writer.WriteStartObject();
        writer.WriteString("role"u8, role);
        writer.WriteStartArray("parts"u8);
    }

    private static void CloseTurn(Utf8JsonWriter writer)
    {
        writer.WriteEndArray();
        writer.WriteEndObject();
    }

    private static void WriteUserTurn(PivotMessage message, Utf8JsonWriter writer)
    {
        var content = message.Content;
        if (!content.IsString && !content.IsArray)
        {
            throw new TranslationException("a user message has no content");
        }
        if (content.IsEmptyStringOrArray)
        {
            return;
        }
        OpenTurn("user"u8, writer);
        WriteParts(content, writer);
        CloseTurn(writer);
    }

    private static void WriteModelTurn(ReadOnlySpan<byte> pivot, PivotMessage message, bool signCalls, ref PivotToolCallNames names, Utf8JsonWriter writer)
    {
        var content = message.Content;
        var hasText = (content.IsString || content.IsArray) && !content.IsEmptyStringOrArray;
        var hasCalls = message.ToolCalls.IsArray && !message.ToolCalls.IsEmptyStringOrArray;
        if (!hasText && !hasCalls)
        {
            // An empty model turn is rejected by Gemini ("contents.parts must not be empty").
            return;
        }
        OpenTurn("model"u8, writer);
        if (hasText)
        {
            WriteParts(content, writer);
        }
        if (hasCalls)
        {
            var reader = message.ToolCalls.Reader();
            while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
            {
                var call = PivotToolCall.Scan(RawJson.Capture(ref reader, message.ToolCalls.Bytes));
                names.Add(pivot, call.Id, call.Name);
                writer.WriteStartObject();
                writer.WriteStartObject("functionCall"u8);
                writer.WritePropertyName("name"u8);
                writer.WriteRawValue(call.Name.Bytes, skipInputValidation: true);
                writer.WritePropertyName("args"u8);
                PivotToolCall.WriteArgumentsObject(call.Arguments, writer);
                writer.WriteEndObject();
                if (signCalls)
                {
                    writer.WriteString("thoughtSignature"u8, SkipThoughtSignature);
                }
                writer.WriteEndObject();
            }
        }
        CloseTurn(writer);
    }

    private static void WriteFunctionResponse(ReadOnlySpan<byte> pivot, PivotMessage message, ref PivotToolCallNames names, Utf8JsonWriter writer)
    {
        var name = names.NameOf(pivot, message.ToolCallId);
        if (name.IsEmpty)
        {
            name = message.Name.IsString ? message.Name.Bytes
                : throw new TranslationException("a tool message's tool_call_id matches no earlier tool call");
        }
        writer.WriteStartObject();
        writer.WriteStartObject("functionResponse"u8);
        writer.WritePropertyName("name"u8);
        writer.WriteRawValue(name, skipInputValidation: true);
        writer.WriteStartObject("response"u8);
        writer.WritePropertyName("content"u8);
        WriteToolResult(message.Content, writer);
        writer.WriteEndObject();
        writer.WriteEndObject();
        writer.WriteEndObject();
    }

    /// <summary>A tool's result: JSON when its text is a JSON object or array (Gemini reads structure), else the text.</summary>
    private static void WriteToolResult(RawJson content, Utf8JsonWriter writer)
    {
        if (!content.IsString)
        {
            PivotText.WriteContentText(writer, content, "\\n"u8);
            return;
        }
        var text = content.Unescape(default, out var rented);
        try
        {
            if (PivotText.IsJsonObject(text, allowArray: true, out var json))
            {
                writer.WriteRawValue(json, skipInputValidation: true);
            }
            else
            {
                writer.WriteRawValue(content.Bytes, skipInputValidation: true);
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

    /// <summary>A content string as one text part, or an array of pivot parts as Gemini parts.</summary>
    private static void WriteParts(RawJson content, Utf8JsonWriter writer)
    {
        if (content.IsString)
        {
            writer.WriteStartObject();
            writer.WritePropertyName("text"u8);
            writer.WriteRawValue(content.Bytes, skipInputValidation: true);
            writer.WriteEndObject();
            return;
        }
        var reader = content.Reader();
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            var part = PivotContentPart.Scan(RawJson.Capture(ref reader, content.Bytes));
            switch (part.Kind)
            {
                case PivotPartKind.Text:
                    writer.WriteStartObject();
                    writer.WritePropertyName("text"u8);
                    writer.WriteRawValue(part.Text.Bytes, skipInputValidation: true);
                    writer.WriteEndObject();
                    break;
                case PivotPartKind.ImageUrl:
                    WriteImagePart(part.Url, writer);
                    break;
                case PivotPartKind.InputAudio:
                    WriteAudioPart(part, writer);
                    break;
                default:
                    throw new TranslationException("gemini takes text, image_url and input_audio content parts only");
            }
        }
    }

    private static void WriteImagePart(RawJson url, Utf8JsonWriter writer)
    {
        var text = url.Unescape(default, out var rented);
        try
        {
            if (DataUrl.TryParse(text, out var mediaType, out var base64))
            {
                writer.WriteStartObject();
                writer.WriteStartObject("inlineData"u8);
                writer.WriteString("mimeType"u8, mediaType);
                writer.WriteString("data"u8, base64);
                writer.WriteEndObject();
                writer.WriteEndObject();
            }
            else if (DataUrl.IsHttp(text))
            {
                writer.WriteStartObject();
                writer.WriteStartObject("fileData"u8);
                writer.WriteString("mimeType"u8, DataUrl.GuessMediaType(text));
                writer.WriteString("fileUri"u8, text);
                writer.WriteEndObject();
                writer.WriteEndObject();
            }
            else
            {
                throw new TranslationException("an image_url must be a base64 data: URL or an http(s) URL");
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

    private static void WriteAudioPart(PivotContentPart part, Utf8JsonWriter writer)
    {
        // OpenAI's input_audio formats are "wav" and "mp3"; Gemini names them audio/wav and audio/mp3.
        Span<byte> mediaType = stackalloc byte[32];
        "audio/"u8.CopyTo(mediaType);
        var format = part.AudioFormat.IsString ? part.AudioFormat.StringContent : "wav"u8;
        if (format.Length > mediaType.Length - 6 || !Ascii.IsValid(format))
        {
            throw new TranslationException("input_audio has an unknown format");
        }
        format.CopyTo(mediaType[6..]);
        writer.WriteStartObject();
        writer.WriteStartObject("inlineData"u8);
        writer.WriteString("mimeType"u8, mediaType[..(6 + format.Length)]);
        writer.WritePropertyName("data"u8);
        writer.WriteRawValue(part.AudioData.Bytes, skipInputValidation: true);
        writer.WriteEndObject();
        writer.WriteEndObject();
    }

    private static void WriteSystemInstruction(RawJson messages, Utf8JsonWriter writer)
    {
        var open = false;
        var reader = messages.Reader();
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            var message = PivotMessage.Scan(RawJson.Capture(ref reader, messages.Bytes));
            if (message.Role != PivotRole.System || !(message.Content.IsString || message.Content.IsArray) || message.Content.IsEmptyStringOrArray)
            {
                continue;
            }
            if (!open)
            {
                writer.WriteStartObject("systemInstruction"u8);
                writer.WriteStartArray("parts"u8);
                open = true;
            }
            WriteParts(message.Content, writer);
        }
        if (open)
        {
            writer.WriteEndArray();
            writer.WriteEndObject();
        }
    }

    /// <summary>Writes <c>tools</c> when the pivot has function tools; false when it wrote nothing.</summary>
    private static bool WriteTools(RawJson tools, Utf8JsonWriter writer)
    {
        if (!tools.IsArray)
        {
            return false;
        }
        var open = false;
        var reader = tools.Reader();
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            var tool = RawJson.Capture(ref reader, tools.Bytes);
            if (!tool.IsObject)
            {
                throw new JsonException("a tool is not a JSON object");
            }
            RawJson name = default, description = default, parameters = default;
            var isFunction = false;
            var toolReader = tool.Reader();
            while (toolReader.Read() && toolReader.TokenType == JsonTokenType.PropertyName)
            {
                if (toolReader.ValueTextEquals("type"u8))
                {
                    toolReader.Read();
                    isFunction = toolReader.TokenType == JsonTokenType.String && toolReader.ValueTextEquals("function"u8);
                }
                else if (toolReader.ValueTextEquals("function"u8))
                {
                    toolReader.Read();
                    if (toolReader.TokenType != JsonTokenType.StartObject)
                    {
                        throw new JsonException("a tool's function is not a JSON object");
                    }
                    while (toolReader.Read() && toolReader.TokenType == JsonTokenType.PropertyName)
                    {
                        if (toolReader.ValueTextEquals("name"u8)) name = RawJson.CaptureProperty(ref toolReader, tool.Bytes);
                        else if (toolReader.ValueTextEquals("description"u8)) description = RawJson.CaptureProperty(ref toolReader, tool.Bytes);
                        else if (toolReader.ValueTextEquals("parameters"u8)) parameters = RawJson.CaptureProperty(ref toolReader, tool.Bytes);
                        else RawJson.SkipProperty(ref toolReader);
                    }
                }
                else
                {
                    RawJson.SkipProperty(ref toolReader);
                }
            }
            if (!isFunction)
            {
                continue;
            }
            if (!name.IsString)
            {
                throw new TranslationException("a function tool has no name");
            }
            if (!open)
            {
                writer.WriteStartArray("tools"u8);
                writer.WriteStartObject();
                writer.WriteStartArray("functionDeclarations"u8);
                open = true;
            }
            writer.WriteStartObject();
            writer.WritePropertyName("name"u8);
            writer.WriteRawValue(name.Bytes, skipInputValidation: true);
            if (description.IsString)
            {
                writer.WritePropertyName("description"u8);
                writer.WriteRawValue(description.Bytes, skipInputValidation: true);
            }
            if (parameters.IsObject)
            {
                writer.WritePropertyName("parametersJsonSchema"u8);
                writer.WriteRawValue(parameters.Bytes, skipInputValidation: true);
            }
            writer.WriteEndObject();
        }
        if (open)
        {
            writer.WriteEndArray();
            writer.WriteEndObject();
            writer.WriteEndArray();
        }
        return open;
    }

    private static void WriteToolConfig(RawJson toolChoice, Utf8JsonWriter writer)
    {
        ReadOnlySpan<byte> mode;
        RawJson allowed = default;
        if (toolChoice.StringEquals("none"u8)) mode = "NONE"u8;
        else if (toolChoice.StringEquals("auto"u8)) mode = "AUTO"u8;
        else if (toolChoice.StringEquals("required"u8)) mode = "ANY"u8;
        else if (toolChoice.IsObject)
        {
            // {"type":"function","function":{"name":"x"}}: that function and no other.
            var reader = toolChoice.Reader();
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("function"u8))
                {
                    reader.Read();
                    if (reader.TokenType != JsonTokenType.StartObject)
                    {
                        reader.Skip();
                        continue;
                    }
                    while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                    {
                        if (reader.ValueTextEquals("name"u8)) allowed = RawJson.CaptureProperty(ref reader, toolChoice.Bytes);
                        else RawJson.SkipProperty(ref reader);
                    }
                }
                else
                {
                    RawJson.SkipProperty(ref reader);
                }
            }
            if (!allowed.IsString)
            {
                // A shape Gemini has no word for (allowed_tools, custom): its default, AUTO.
                return;
            }
            mode = "ANY"u8;
        }
        else return;

        writer.WriteStartObject("toolConfig"u8);
        writer.WriteStartObject("functionCallingConfig"u8);
        writer.WriteString("mode"u8, mode);
        if (allowed.IsString)
        {
            writer.WriteStartArray("allowedFunctionNames"u8);
            writer.WriteRawValue(allowed.Bytes, skipInputValidation: true);
            writer.WriteEndArray();
        }
        writer.WriteEndObject();
        writer.WriteEndObject();
    }

    private static void WriteGenerationConfig(in PivotChatRequest request, Utf8JsonWriter writer)
    {
        var config = new PivotOptionsWriter(writer, "generationConfig"u8);
        config.Number("maxOutputTokens"u8, request.OutputLimit);
        config.Number("temperature"u8, request.Temperature);
        config.Number("topP"u8, request.TopP);
        config.Number("seed"u8, request.Seed);
        config.Number("candidateCount"u8, request.Choices);
        config.Number("presencePenalty"u8, request.PresencePenalty);
        config.Number("frequencyPenalty"u8, request.FrequencyPenalty);
        config.StopSequences("stopSequences"u8, request.Stop);
        WriteResponseFormat(ref config, request.ResponseFormat);
        config.End();
    }

    /// <summary><c>json_object</c> asks for JSON (<c>responseMimeType</c>); <c>json_schema</c> also gives its schema (<c>responseJsonSchema</c>).</summary>
    private static void WriteResponseFormat(ref PivotOptionsWriter config, RawJson responseFormat)
    {
        var format = PivotResponseFormat.Scan(responseFormat);
        if (!format.Type.StringEquals("json_object"u8) && !format.Type.StringEquals("json_schema"u8))
        {
            return;
        }
        var writer = config.Open();
        writer.WriteString("responseMimeType"u8, "application/json"u8);
        if (format.Schema.IsObject)
        {
            writer.WritePropertyName("responseJsonSchema"u8);
            writer.WriteRawValue(format.Schema.Bytes, skipInputValidation: true);
        }
    }
}
