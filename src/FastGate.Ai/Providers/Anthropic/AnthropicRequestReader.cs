using System.Buffers;
using System.Text.Json;
using FastGate.Ai.Json;

namespace FastGate.Ai.Providers.Anthropic;

/// <summary>
/// An Anthropic Messages (or count_tokens) request checked and written as the pivot request (an
/// OpenAI Chat Completions body): <c>system</c> becomes a system message; <c>tool_result</c>
/// blocks become <c>tool</c> messages ahead of the rest of their user turn; <c>tool_use</c>
/// blocks become assistant tool calls whose arguments are the input object as a JSON string;
/// images become <c>image_url</c> parts (base64 sources as <c>data:</c> URLs). <c>metadata</c>,
/// <c>top_k</c>, <c>thinking</c> and <c>service_tier</c> have no pivot field and are dropped.
/// </summary>
internal static class AnthropicRequestReader
{
    // The pivot opens with {"model":" so the model's bytes start here.
    private const int ModelStart = 10;

    public static bool TryRead(bool countTokens, ReadOnlySpan<byte> body, IBufferWriter<byte> pivot, out RequestFacts facts, out AiError error)
    {
        facts = default;
        try
        {
            return TryReadCore(countTokens, body, pivot, ref facts, out error);
        }
        catch (JsonException)
        {
            error = Invalid("the request body is not valid JSON");
            return false;
        }
    }

    private static AiError Invalid(string message) => new(400, "invalid_request_error", message);

    private static bool TryReadCore(bool countTokens, ReadOnlySpan<byte> body, IBufferWriter<byte> pivot, ref RequestFacts facts, out AiError error)
    {
        ReadOnlySpan<byte> model = default, maxTokens = default, messages = default, system = default, tools = default,
            toolChoice = default, stopSequences = default, stream = default, temperature = default, topP = default;
        var top = new JsonMembers(body);
        if (!top.IsObject)
        {
            error = Invalid("the request body must be a JSON object");
            return false;
        }
        while (top.Next(out var name, out var value))
        {
            switch (name.Length)
            {
                case 5 when name.SequenceEqual("model"u8): model = value; break;
                case 10 when name.SequenceEqual("max_tokens"u8): maxTokens = value; break;
                case 8 when name.SequenceEqual("messages"u8): messages = value; break;
                case 6 when name.SequenceEqual("system"u8): system = value; break;
                case 5 when name.SequenceEqual("tools"u8): tools = value; break;
                case 11 when name.SequenceEqual("tool_choice"u8): toolChoice = value; break;
                case 14 when name.SequenceEqual("stop_sequences"u8): stopSequences = value; break;
                case 6 when name.SequenceEqual("stream"u8): stream = value; break;
                case 11 when name.SequenceEqual("temperature"u8): temperature = value; break;
                case 5 when name.SequenceEqual("top_p"u8): topP = value; break;
            }
        }
        if (!new RawJson(model).IsString || model.Length == 2)
        {
            error = Invalid("model: a model name is required");
            return false;
        }
        long limit = 0;
        if (!countTokens && (!new RawJson(maxTokens).TryGetWholeNumber(out limit) || limit < 1))
        {
            error = Invalid("max_tokens: a positive whole number is required");
            return false;
        }
        if (!new RawJson(messages).IsArray)
        {
            error = Invalid("messages: an array is required");
            return false;
        }
        var systemValue = new RawJson(system);
        if (!systemValue.IsAbsentOrNull && !systemValue.IsString && !systemValue.IsArray)
        {
            error = Invalid("system: a string or a list of text blocks is required");
            return false;
        }

        var writer = JsonWriters.For(pivot);
        writer.WriteStartObject();
        Span<byte> stack = stackalloc byte[256];
        var modelText = new RawJson(model).Unescape(stack, out var rented);
        writer.WriteString("model"u8, modelText);
        if (rented is not null)
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
        writer.Flush();
        facts.ModelStart = ModelStart;
        facts.ModelLength = (int)writer.BytesCommitted - 1 - ModelStart;
        facts.MaxTokens = limit;
        facts.Stream = !countTokens && stream.SequenceEqual("true"u8);
        // Anthropic streams always carry usage (message_start and message_delta).
        facts.ClientWantsUsage = true;

        writer.WriteStartArray("messages"u8);
        if (new RawJson(system).IsString)
        {
            writer.WriteStartObject();
            writer.WriteString("role"u8, "system"u8);
            writer.WritePropertyName("content"u8);
            writer.WriteRawValue(system, skipInputValidation: true);
            writer.WriteEndObject();
        }
        else if (new RawJson(system).IsArray && system.Length > 2)
        {
            writer.WriteStartObject();
            writer.WriteString("role"u8, "system"u8);
            writer.WriteStartArray("content"u8);
            var blocks = new JsonItems(system);
            while (blocks.Next(out var block))
            {
                WriteTextPart(writer, block);
            }
            writer.WriteEndArray();
            writer.WriteEndObject();
        }
        var items = new JsonItems(messages);
        while (items.Next(out var message))
        {
            if (!WriteMessage(writer, message, out error))
            {
                writer.Flush();
                return false;
            }
        }
        writer.WriteEndArray();

        if (new RawJson(tools).IsArray)
        {
            WriteTools(writer, tools);
        }
        var oneCallOnly = WriteToolChoice(writer, toolChoice);
        if (oneCallOnly)
        {
            writer.WriteBoolean("parallel_tool_calls"u8, false);
        }
        if (!countTokens)
        {
            writer.WriteNumber("max_tokens"u8, limit);
            CopyIfNumber(writer, "temperature"u8, temperature);
            CopyIfNumber(writer, "top_p"u8, topP);
            if (new RawJson(stopSequences).IsArray && stopSequences.Length > 2)
            {
                writer.WritePropertyName("stop"u8);
                writer.WriteRawValue(stopSequences, skipInputValidation: true);
            }
            if (facts.Stream)
            {
                writer.WriteBoolean("stream"u8, true);
            }
        }
        writer.WriteEndObject();
        writer.Flush();
        error = default;
        return true;
    }

    private static void CopyIfNumber(Utf8JsonWriter writer, ReadOnlySpan<byte> name, ReadOnlySpan<byte> value)
    {
        if (new RawJson(value).IsNumber)
        {
            writer.WritePropertyName(name);
            writer.WriteRawValue(value, skipInputValidation: true);
        }
    }

    private static bool WriteMessage(Utf8JsonWriter writer, ReadOnlySpan<byte> message, out AiError error)
    {
        ReadOnlySpan<byte> role = default, content = default;
        var members = new JsonMembers(message);
        if (!members.IsObject)
        {
            error = Invalid("messages: each message must be an object");
            return false;
        }
        while (members.Next(out var name, out var value))
        {
            if (name.SequenceEqual("role"u8))
            {
                role = value;
            }
            else if (name.SequenceEqual("content"u8))
            {
                content = value;
            }
        }
        var isUser = new RawJson(role).StringIsVerbatim("user"u8);
        if (!isUser && !new RawJson(role).StringIsVerbatim("assistant"u8))
        {
            error = Invalid("messages: role must be user or assistant");
            return false;
        }
        var contentValue = new RawJson(content);
        if (!contentValue.IsString && !contentValue.IsArray)
        {
            error = Invalid("messages: content must be a string or a list of content blocks");
            return false;
        }
        error = default;
        if (new RawJson(content).IsString)
        {
            writer.WriteStartObject();
            writer.WriteString("role"u8, isUser ? "user"u8 : "assistant"u8);
            writer.WritePropertyName("content"u8);
            writer.WriteRawValue(content, skipInputValidation: true);
            writer.WriteEndObject();
            return true;
        }
        return isUser ? WriteUserBlocks(writer, content) : WriteAssistantBlocks(writer, content);
    }

    private ref struct Block
    {
        public ReadOnlySpan<byte> Type, Text, Source, Id, Name, Input, ToolUseId, Content;

        public static Block Read(ReadOnlySpan<byte> json)
        {
            var block = default(Block);
            var members = new JsonMembers(json);
            while (members.Next(out var name, out var value))
            {
                switch (name.Length)
                {
                    case 4 when name.SequenceEqual("type"u8): block.Type = value; break;
                    case 4 when name.SequenceEqual("text"u8): block.Text = value; break;
                    case 6 when name.SequenceEqual("source"u8): block.Source = value; break;
                    case 2 when name.SequenceEqual("id"u8): block.Id = value; break;
                    case 4 when name.SequenceEqual("name"u8): block.Name = value; break;
                    case 5 when name.SequenceEqual("input"u8): block.Input = value; break;
                    case 11 when name.SequenceEqual("tool_use_id"u8): block.ToolUseId = value; break;
                    case 7 when name.SequenceEqual("content"u8): block.Content = value; break;
                }
            }
            return block;
        }
    }

    /// <summary>Tool results first, as tool messages (they answer the previous turn's calls), then the rest as one user message.</summary>
    private static bool WriteUserBlocks(Utf8JsonWriter writer, ReadOnlySpan<byte> content)
    {
        var others = 0;
        var items = new JsonItems(content);
        while (items.Next(out var json))
        {
            var block = Block.Read(json);
            if (new RawJson(block.Type).StringIsVerbatim("tool_result"u8))
            {
                writer.WriteStartObject();
                writer.WriteString("role"u8, "tool"u8);
                writer.WritePropertyName("tool_call_id"u8);
                WriteStringOrEmpty(writer, block.ToolUseId);
                writer.WritePropertyName("content"u8);
                if (new RawJson(block.Content).IsString)
                {
                    writer.WriteRawValue(block.Content, skipInputValidation: true);
                }
                else if (new RawJson(block.Content).IsArray)
                {
                    writer.WriteStartArray();
                    var parts = new JsonItems(block.Content);
                    while (parts.Next(out var part))
                    {
                        WriteTextPart(writer, part);
                    }
                    writer.WriteEndArray();
                }
                else
                {
                    writer.WriteStringValue(""u8);
                }
                writer.WriteEndObject();
            }
            else if (new RawJson(block.Type) is var type && (type.StringIsVerbatim("text"u8) || type.StringIsVerbatim("image"u8) || type.StringIsVerbatim("document"u8)))
            {
                others++;
            }
        }
        if (others == 0)
        {
            return true;
        }
        writer.WriteStartObject();
        writer.WriteString("role"u8, "user"u8);
        writer.WriteStartArray("content"u8);
        items = new JsonItems(content);
        while (items.Next(out var json))
        {
            var block = Block.Read(json);
            if (new RawJson(block.Type).StringIsVerbatim("text"u8))
            {
                WriteTextPart(writer, json);
            }
            else if (new RawJson(block.Type).StringIsVerbatim("image"u8))
            {
                WriteImagePart(writer, block.Source);
            }
            else if (new RawJson(block.Type).StringIsVerbatim("document"u8))
            {
                WriteDocumentPart(writer, block.Source);
            }
        }
        writer.WriteEndArray();
        writer.WriteEndObject();
        return true;
    }

    /// <summary>Text blocks as the content (one string, or text parts when several), tool_use blocks as tool calls.</summary>
    private static bool WriteAssistantBlocks(Utf8JsonWriter writer, ReadOnlySpan<byte> content)
    {
        var texts = 0;
        var toolUses = 0;
        ReadOnlySpan<byte> onlyText = default;
        var items = new JsonItems(content);
        while (items.Next(out var json))
        {
            var block = Block.Read(json);
            if (new RawJson(block.Type).StringIsVerbatim("text"u8) && new RawJson(block.Text).IsString)
            {
                texts++;
                onlyText = block.Text;
            }
            else if (new RawJson(block.Type).StringIsVerbatim("tool_use"u8))
            {
                toolUses++;
            }
        }
        writer.WriteStartObject();
        writer.WriteString("role"u8, "assistant"u8);
        writer.WritePropertyName("content"u8);
        if (texts == 0)
        {
            writer.WriteNullValue();
        }
        else if (texts == 1)
        {
            writer.WriteRawValue(onlyText, skipInputValidation: true);
        }
        else
        {
            writer.WriteStartArray();
            items = new JsonItems(content);
            while (items.Next(out var json))
            {
                var block = Block.Read(json);
                if (new RawJson(block.Type).StringIsVerbatim("text"u8))
                {
                    WriteTextPart(writer, json);
                }
            }
            writer.WriteEndArray();
        }
        if (toolUses > 0)
        {
            writer.WriteStartArray("tool_calls"u8);
            items = new JsonItems(content);
            while (items.Next(out var json))
            {
                var block = Block.Read(json);
                if (!new RawJson(block.Type).StringIsVerbatim("tool_use"u8))
                {
                    continue;
                }
                writer.WriteStartObject();
                writer.WritePropertyName("id"u8);
                WriteStringOrEmpty(writer, block.Id);
                writer.WriteString("type"u8, "function"u8);
                writer.WriteStartObject("function"u8);
                writer.WritePropertyName("name"u8);
                WriteStringOrEmpty(writer, block.Name);
                writer.WriteString("arguments"u8, new RawJson(block.Input).IsObject ? block.Input : "{}"u8);
                writer.WriteEndObject();
                writer.WriteEndObject();
            }
            writer.WriteEndArray();
        }
        writer.WriteEndObject();
        return true;
    }

    /// <summary>A text block as a text part; other blocks are skipped.</summary>
    private static void WriteTextPart(Utf8JsonWriter writer, ReadOnlySpan<byte> json)
    {
        var block = Block.Read(json);
        if (!new RawJson(block.Type).StringIsVerbatim("text"u8) || !new RawJson(block.Text).IsString)
        {
            return;
        }
        writer.WriteStartObject();
        writer.WriteString("type"u8, "text"u8);
        writer.WritePropertyName("text"u8);
        writer.WriteRawValue(block.Text, skipInputValidation: true);
        writer.WriteEndObject();
    }

    /// <summary>An image source as an <c>image_url</c> part: base64 data as a <c>data:</c> URL, a url source as it is.</summary>
    private static void WriteImagePart(Utf8JsonWriter writer, ReadOnlySpan<byte> source)
    {
        ReadOnlySpan<byte> type = default, mediaType = default, data = default, url = default;
        var members = new JsonMembers(source);
        while (members.Next(out var name, out var value))
        {
            switch (name.Length)
            {
                case 4 when name.SequenceEqual("type"u8): type = value; break;
                case 10 when name.SequenceEqual("media_type"u8): mediaType = value; break;
                case 4 when name.SequenceEqual("data"u8): data = value; break;
                case 3 when name.SequenceEqual("url"u8): url = value; break;
            }
        }
        if (new RawJson(type).StringIsVerbatim("base64"u8) && new RawJson(mediaType).IsString && new RawJson(data).IsString)
        {
            writer.WriteStartObject();
            writer.WriteString("type"u8, "image_url"u8);
            writer.WriteStartObject("image_url"u8);
            writer.WritePropertyName("url"u8);
            WriteDataUrl(writer, mediaType, data);
            writer.WriteEndObject();
            writer.WriteEndObject();
        }
        else if (new RawJson(type).StringIsVerbatim("url"u8) && new RawJson(url).IsString)
        {
            writer.WriteStartObject();
            writer.WriteString("type"u8, "image_url"u8);
            writer.WriteStartObject("image_url"u8);
            writer.WritePropertyName("url"u8);
            writer.WriteRawValue(url, skipInputValidation: true);
            writer.WriteEndObject();
            writer.WriteEndObject();
        }
    }

    /// <summary>
    /// A document (PDF) with a base64 source as an OpenAI <c>file</c> part with a <c>data:</c> URL;
    /// a plain-text source as a text part. Documents by URL or file id have no pivot form.
    /// </summary>
    private static void WriteDocumentPart(Utf8JsonWriter writer, ReadOnlySpan<byte> source)
    {
        ReadOnlySpan<byte> type = default, mediaType = default, data = default;
        var members = new JsonMembers(source);
        while (members.Next(out var name, out var value))
        {
            switch (name.Length)
            {
                case 4 when name.SequenceEqual("type"u8): type = value; break;
                case 10 when name.SequenceEqual("media_type"u8): mediaType = value; break;
                case 4 when name.SequenceEqual("data"u8): data = value; break;
            }
        }
        if (!new RawJson(data).IsString || !new RawJson(mediaType).IsString)
        {
            return;
        }
        writer.WriteStartObject();
        if (new RawJson(type).StringIsVerbatim("base64"u8))
        {
            writer.WriteString("type"u8, "file"u8);
            writer.WriteStartObject("file"u8);
            writer.WritePropertyName("file_data"u8);
            WriteDataUrl(writer, mediaType, data);
            writer.WriteString("filename"u8, "document.pdf"u8);
            writer.WriteEndObject();
        }
        else
        {
            writer.WriteString("type"u8, "text"u8);
            writer.WritePropertyName("text"u8);
            writer.WriteRawValue(data, skipInputValidation: true);
        }
        writer.WriteEndObject();
    }

    /// <summary>"data:" + media type + ";base64," + data, built from the escaped insides, which join to a valid string.</summary>
    private static void WriteDataUrl(Utf8JsonWriter writer, ReadOnlySpan<byte> mediaType, ReadOnlySpan<byte> data)
    {
        var media = new RawJson(mediaType).StringContentOrEmpty;
        var payload = new RawJson(data).StringContentOrEmpty;
        var length = 1 + 5 + media.Length + 8 + payload.Length + 1;
        var joined = ArrayPool<byte>.Shared.Rent(length);
        var span = joined.AsSpan();
        var at = 0;
        span[at++] = (byte)'"';
        "data:"u8.CopyTo(span[at..]);
        at += 5;
        media.CopyTo(span[at..]);
        at += media.Length;
        ";base64,"u8.CopyTo(span[at..]);
        at += 8;
        payload.CopyTo(span[at..]);
        at += payload.Length;
        span[at++] = (byte)'"';
        writer.WriteRawValue(span[..at], skipInputValidation: true);
        ArrayPool<byte>.Shared.Return(joined);
    }

    private static void WriteTools(Utf8JsonWriter writer, ReadOnlySpan<byte> tools)
    {
        var any = false;
        var items = new JsonItems(tools);
        while (items.Next(out var tool))
        {
            ReadOnlySpan<byte> name = default, description = default, schema = default;
            var members = new JsonMembers(tool);
            while (members.Next(out var key, out var value))
            {
                switch (key.Length)
                {
                    case 4 when key.SequenceEqual("name"u8): name = value; break;
                    case 11 when key.SequenceEqual("description"u8): description = value; break;
                    case 12 when key.SequenceEqual("input_schema"u8): schema = value; break;
                }
            }
            // Anthropic's server tools (web search, code execution) have no schema and no pivot form.
            if (!new RawJson(name).IsString || !new RawJson(schema).IsObject)
            {
                continue;
            }
            if (!any)
            {
                writer.WriteStartArray("tools"u8);
                any = true;
            }
            writer.WriteStartObject();
            writer.WriteString("type"u8, "function"u8);
            writer.WriteStartObject("function"u8);
            writer.WritePropertyName("name"u8);
            writer.WriteRawValue(name, skipInputValidation: true);
            if (new RawJson(description).IsString)
            {
                writer.WritePropertyName("description"u8);
                writer.WriteRawValue(description, skipInputValidation: true);
            }
            writer.WritePropertyName("parameters"u8);
            writer.WriteRawValue(schema, skipInputValidation: true);
            writer.WriteEndObject();
            writer.WriteEndObject();
        }
        if (any)
        {
            writer.WriteEndArray();
        }
    }

    /// <summary>Writes the pivot's tool_choice; true when the client allowed one tool call at most (<c>disable_parallel_tool_use</c>).</summary>
    private static bool WriteToolChoice(Utf8JsonWriter writer, ReadOnlySpan<byte> toolChoice)
    {
        if (!new RawJson(toolChoice).IsObject)
        {
            return false;
        }
        ReadOnlySpan<byte> type = default, name = default;
        var oneCallOnly = false;
        var members = new JsonMembers(toolChoice);
        while (members.Next(out var key, out var value))
        {
            if (key.SequenceEqual("type"u8))
            {
                type = value;
            }
            else if (key.SequenceEqual("name"u8))
            {
                name = value;
            }
            else if (key.SequenceEqual("disable_parallel_tool_use"u8))
            {
                oneCallOnly = value.SequenceEqual("true"u8);
            }
        }
        if (new RawJson(type).StringIsVerbatim("tool"u8) && new RawJson(name).IsString)
        {
            writer.WriteStartObject("tool_choice"u8);
            writer.WriteString("type"u8, "function"u8);
            writer.WriteStartObject("function"u8);
            writer.WritePropertyName("name"u8);
            writer.WriteRawValue(name, skipInputValidation: true);
            writer.WriteEndObject();
            writer.WriteEndObject();
        }
        else if (new RawJson(type).StringIsVerbatim("any"u8))
        {
            writer.WriteString("tool_choice"u8, "required"u8);
        }
        else if (new RawJson(type).StringIsVerbatim("none"u8))
        {
            writer.WriteString("tool_choice"u8, "none"u8);
        }
        else if (new RawJson(type).StringIsVerbatim("auto"u8))
        {
            writer.WriteString("tool_choice"u8, "auto"u8);
        }
        return oneCallOnly;
    }

    private static void WriteStringOrEmpty(Utf8JsonWriter writer, ReadOnlySpan<byte> value)
    {
        if (new RawJson(value).IsString)
        {
            writer.WriteRawValue(value, skipInputValidation: true);
        }
        else
        {
            writer.WriteStringValue(""u8);
        }
    }
}
