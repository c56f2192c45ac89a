using System.Buffers;
using System.Text.Json;
using FastGate.Ai.Json;
using FastGate.Ai.Providers.Pivot;

namespace FastGate.Ai.Providers.Anthropic;

/// <summary>
/// The pivot request (an OpenAI Chat Completions body) as an Anthropic Messages request (Anthropic
/// API reference, "Messages" and "Count message tokens"). System and developer messages become the
/// top-level <c>system</c>; tool results, which OpenAI sends as <c>tool</c> messages, become
/// <c>tool_result</c> blocks of one user message; the arguments of assistant tool calls, a JSON
/// string in OpenAI, become the <c>input</c> object of a <c>tool_use</c> block.
/// </summary>
internal static class AnthropicRequestWriter
{
    /// <summary>
    /// Anthropic requires <c>max_tokens</c>; OpenAI does not. A request that names no limit gets this
    /// one, large enough for a long answer and accepted by every current Claude model.
    /// </summary>
    public const long DefaultMaxTokens = 4096;

    public static bool TryWrite(bool countTokens, ReadOnlySpan<byte> pivot, ReadOnlySpan<byte> model, IBufferWriter<byte> body, out AiError error)
    {
        try
        {
            return TryWriteCore(countTokens, pivot, model, body, out error);
        }
        catch (JsonException)
        {
            error = new AiError(400, "invalid_request_error", "the request body is not valid JSON");
            return false;
        }
    }

    private static bool TryWriteCore(bool countTokens, ReadOnlySpan<byte> pivot, ReadOnlySpan<byte> model, IBufferWriter<byte> body, out AiError error)
    {
        ReadOnlySpan<byte> messages = default, tools = default, toolChoice = default, maxTokens = default,
            maxCompletionTokens = default, temperature = default, topP = default, stop = default, stream = default,
            parallelToolCalls = default;
        var top = new JsonMembers(pivot);
        if (!top.IsObject)
        {
            error = new AiError(400, "invalid_request_error", "the request body must be a JSON object");
            return false;
        }
        while (top.Next(out var name, out var value))
        {
            switch (name.Length)
            {
                case 8 when name.SequenceEqual("messages"u8): messages = value; break;
                case 5 when name.SequenceEqual("tools"u8): tools = value; break;
                case 11 when name.SequenceEqual("tool_choice"u8): toolChoice = value; break;
                case 10 when name.SequenceEqual("max_tokens"u8): maxTokens = value; break;
                case 21 when name.SequenceEqual("max_completion_tokens"u8): maxCompletionTokens = value; break;
                case 11 when name.SequenceEqual("temperature"u8): temperature = value; break;
                case 5 when name.SequenceEqual("top_p"u8): topP = value; break;
                case 4 when name.SequenceEqual("stop"u8): stop = value; break;
                case 6 when name.SequenceEqual("stream"u8): stream = value; break;
                case 19 when name.SequenceEqual("parallel_tool_calls"u8): parallelToolCalls = value; break;
            }
        }
        if (!new RawJson(messages).IsArray)
        {
            error = new AiError(400, "invalid_request_error", "messages: an array is required");
            return false;
        }

        var writer = JsonWriters.For(body);
        writer.WriteStartObject();
        writer.WriteString("model"u8, model);
        if (!countTokens)
        {
            long limit = DefaultMaxTokens;
            if (new RawJson(maxCompletionTokens).TryGetWholeNumber(out var asked) && asked > 0)
            {
                limit = asked;
            }
            else if (new RawJson(maxTokens).TryGetWholeNumber(out asked) && asked > 0)
            {
                limit = asked;
            }
            writer.WriteNumber("max_tokens"u8, limit);
        }
        WriteSystem(writer, messages);
        if (!WriteMessages(writer, messages, out error))
        {
            writer.Flush();
            return false;
        }
        var hasTools = new RawJson(tools).IsArray && WriteTools(writer, tools);
        if (hasTools)
        {
            WriteToolChoice(writer, toolChoice, parallelToolCalls.SequenceEqual("false"u8));
        }
        if (!countTokens)
        {
            if (new RawJson(temperature).IsNumber)
            {
                // OpenAI's scale runs to 2, Anthropic's to 1: a hotter ask becomes Anthropic's hottest.
                if (double.TryParse(temperature, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var t) && t > 1)
                {
                    writer.WriteNumber("temperature"u8, 1);
                }
                else
                {
                    writer.WritePropertyName("temperature"u8);
                    writer.WriteRawValue(temperature, skipInputValidation: true);
                }
            }
            if (new RawJson(topP).IsNumber)
            {
                writer.WritePropertyName("top_p"u8);
                writer.WriteRawValue(topP, skipInputValidation: true);
            }
            if (new RawJson(stop).IsString)
            {
                writer.WriteStartArray("stop_sequences"u8);
                writer.WriteRawValue(stop, skipInputValidation: true);
                writer.WriteEndArray();
            }
            else if (new RawJson(stop).IsArray)
            {
                writer.WritePropertyName("stop_sequences"u8);
                writer.WriteRawValue(stop, skipInputValidation: true);
            }
            if (stream.SequenceEqual("true"u8))
            {
                writer.WriteBoolean("stream"u8, true);
            }
        }
        writer.WriteEndObject();
        writer.Flush();
        return true;
    }

    /// <summary>
    /// System and developer messages, wherever they stand, as the top-level <c>system</c>: one string
    /// when there is one string, else a list of text blocks in their order.
    /// </summary>
    private static void WriteSystem(Utf8JsonWriter writer, ReadOnlySpan<byte> messages)
    {
        var count = 0;
        ReadOnlySpan<byte> only = default;
        var items = new JsonItems(messages);
        while (items.Next(out var message))
        {
            if (IsSystem(message, out var content))
            {
                count++;
                only = content;
            }
        }
        if (count == 0)
        {
            return;
        }
        if (count == 1 && new RawJson(only).IsString)
        {
            writer.WritePropertyName("system"u8);
            writer.WriteRawValue(only, skipInputValidation: true);
            return;
        }
        writer.WriteStartArray("system"u8);
        items = new JsonItems(messages);
        while (items.Next(out var message))
        {
            if (IsSystem(message, out var content))
            {
                WriteTextBlocks(writer, content);
            }
        }
        writer.WriteEndArray();
    }

    private static bool IsSystem(ReadOnlySpan<byte> message, out ReadOnlySpan<byte> content)
    {
        content = default;
        var isSystem = false;
        var members = new JsonMembers(message);
        while (members.Next(out var name, out var value))
        {
            if (name.SequenceEqual("role"u8))
            {
                var roleValue = new RawJson(value);
                isSystem = roleValue.StringIsVerbatim("system"u8) || roleValue.StringIsVerbatim("developer"u8);
            }
            else if (name.SequenceEqual("content"u8))
            {
                content = value;
            }
        }
        return isSystem;
    }

    /// <summary>A content string or the text parts of a content list, as text blocks.</summary>
    private static void WriteTextBlocks(Utf8JsonWriter writer, ReadOnlySpan<byte> content)
    {
        if (new RawJson(content).IsString)
        {
            WriteTextBlock(writer, content);
            return;
        }
        var parts = new JsonItems(content);
        while (parts.Next(out var part))
        {
            if (PartText(part, out var text))
            {
                WriteTextBlock(writer, text);
            }
        }
    }

    private static bool PartText(ReadOnlySpan<byte> part, out ReadOnlySpan<byte> text)
    {
        text = default;
        var isText = false;
        var members = new JsonMembers(part);
        while (members.Next(out var name, out var value))
        {
            if (name.SequenceEqual("type"u8))
            {
                isText = new RawJson(value).StringIsVerbatim("text"u8);
            }
            else if (name.SequenceEqual("text"u8))
            {
                text = value;
            }
        }
        return isText && new RawJson(text).IsString;
    }

    private static void WriteTextBlock(Utf8JsonWriter writer, ReadOnlySpan<byte> text)
    {
        writer.WriteStartObject();
        writer.WriteString("type"u8, "text"u8);
        writer.WritePropertyName("text"u8);
        writer.WriteRawValue(text, skipInputValidation: true);
        writer.WriteEndObject();
    }

    private static bool WriteMessages(Utf8JsonWriter writer, ReadOnlySpan<byte> messages, out AiError error)
    {
        error = default;
        writer.WriteStartArray("messages"u8);
        var inToolResults = false;
        var items = new JsonItems(messages);
        while (items.Next(out var message))
        {
            ReadOnlySpan<byte> role = default, content = default, toolCalls = default, toolCallId = default;
            var members = new JsonMembers(message);
            if (!members.IsObject)
            {
                error = new AiError(400, "invalid_request_error", "messages: each message must be an object");
                return false;
            }
            while (members.Next(out var name, out var value))
            {
                switch (name.Length)
                {
                    case 4 when name.SequenceEqual("role"u8): role = value; break;
                    case 7 when name.SequenceEqual("content"u8): content = value; break;
                    case 10 when name.SequenceEqual("tool_calls"u8): toolCalls = value; break;
                    case 12 when name.SequenceEqual("tool_call_id"u8): toolCallId = value; break;
                }
            }
            var roleValue = new RawJson(role);
            if (roleValue.StringIsVerbatim("system"u8) || roleValue.StringIsVerbatim("developer"u8))
            {
                continue;
            }
            if (new RawJson(role).StringIsVerbatim("tool"u8))
            {
                if (!inToolResults)
                {
                    writer.WriteStartObject();
                    writer.WriteString("role"u8, "user"u8);
                    writer.WriteStartArray("content"u8);
                    inToolResults = true;
                }
                WriteToolResult(writer, toolCallId, content);
                continue;
            }
            var isUser = new RawJson(role).StringIsVerbatim("user"u8);
            if (!isUser && !new RawJson(role).StringIsVerbatim("assistant"u8))
            {
                error = new AiError(400, "invalid_request_error", "messages: role must be system, developer, user, assistant or tool");
                return false;
            }
            var hasToolCalls = !isUser && new RawJson(toolCalls).IsArray && toolCalls.Length > 2;
            if (inToolResults)
            {
                if (isUser)
                {
                    // A user turn right after tool results joins their message: Anthropic wants the
                    // results first in the user turn that follows the tool calls.
                    WriteContentBlocks(writer, content);
                    continue;
                }
                writer.WriteEndArray();
                writer.WriteEndObject();
                inToolResults = false;
            }
            var contentValue = new RawJson(content);
            if (!hasToolCalls && (contentValue.IsAbsentOrNull || (contentValue.IsArray && content.Length <= 2)))
            {
                // An empty turn: Anthropic refuses it and it says nothing.
                continue;
            }
            writer.WriteStartObject();
            writer.WriteString("role"u8, isUser ? "user"u8 : "assistant"u8);
            if (new RawJson(content).IsString && !hasToolCalls)
            {
                writer.WritePropertyName("content"u8);
                writer.WriteRawValue(content, skipInputValidation: true);
            }
            else
            {
                writer.WriteStartArray("content"u8);
                WriteContentBlocks(writer, content);
                if (hasToolCalls)
                {
                    WriteToolUses(writer, toolCalls);
                }
                writer.WriteEndArray();
            }
            writer.WriteEndObject();
        }
        if (inToolResults)
        {
            writer.WriteEndArray();
            writer.WriteEndObject();
        }
        writer.WriteEndArray();
        return true;
    }

    /// <summary>A content string (when not empty) or content parts as Anthropic blocks: text and images.</summary>
    private static void WriteContentBlocks(Utf8JsonWriter writer, ReadOnlySpan<byte> content)
    {
        if (new RawJson(content).IsString)
        {
            if (content.Length > 2)
            {
                WriteTextBlock(writer, content);
            }
            return;
        }
        var parts = new JsonItems(content);
        while (parts.Next(out var part))
        {
            ReadOnlySpan<byte> type = default, text = default, imageUrl = default, file = default;
            var members = new JsonMembers(part);
            while (members.Next(out var name, out var value))
            {
                switch (name.Length)
                {
                    case 4 when name.SequenceEqual("type"u8): type = value; break;
                    case 4 when name.SequenceEqual("text"u8): text = value; break;
                    case 4 when name.SequenceEqual("file"u8): file = value; break;
                    case 9 when name.SequenceEqual("image_url"u8): imageUrl = value; break;
                }
            }
            if (new RawJson(type).StringIsVerbatim("text"u8) && new RawJson(text).IsString)
            {
                WriteTextBlock(writer, text);
            }
            else if (new RawJson(type).StringIsVerbatim("image_url"u8))
            {
                var url = imageUrl;
                if (new RawJson(imageUrl).IsObject)
                {
                    url = default;
                    var inner = new JsonMembers(imageUrl);
                    while (inner.Next(out var name, out var value))
                    {
                        if (name.SequenceEqual("url"u8))
                        {
                            url = value;
                        }
                    }
                }
                if (new RawJson(url).IsString)
                {
                    WriteImage(writer, url);
                }
            }
            else if (new RawJson(type).StringIsVerbatim("file"u8) && new RawJson(file).IsObject)
            {
                WriteDocument(writer, file);
            }
            // Audio parts, and files by id, have no Anthropic block; they are left out.
        }
    }

    /// <summary>A <c>data:</c> URL as a base64 image source, any other URL as a url source.</summary>
    private static void WriteImage(Utf8JsonWriter writer, ReadOnlySpan<byte> url)
    {
        writer.WriteStartObject();
        writer.WriteString("type"u8, "image"u8);
        if (IsBase64DataUrl(url))
        {
            WriteBase64Source(writer, url);
        }
        else
        {
            writer.WriteStartObject("source"u8);
            writer.WriteString("type"u8, "url"u8);
            writer.WritePropertyName("url"u8);
            writer.WriteRawValue(url, skipInputValidation: true);
            writer.WriteEndObject();
        }
        writer.WriteEndObject();
    }

    /// <summary>A file part whose <c>file_data</c> is a base64 <c>data:</c> URL (a PDF) as a document block.</summary>
    private static void WriteDocument(Utf8JsonWriter writer, ReadOnlySpan<byte> file)
    {
        ReadOnlySpan<byte> fileData = default;
        var members = new JsonMembers(file);
        while (members.Next(out var name, out var value))
        {
            if (name.SequenceEqual("file_data"u8))
            {
                fileData = value;
            }
        }
        if (!new RawJson(fileData).IsString || !IsBase64DataUrl(fileData))
        {
            return;
        }
        writer.WriteStartObject();
        writer.WriteString("type"u8, "document"u8);
        WriteBase64Source(writer, fileData);
        writer.WriteEndObject();
    }

    /// <summary><c>"source":{"type":"base64","media_type":...,"data":...}</c> from a base64 <c>data:</c> URL (a string value).</summary>
    private static void WriteBase64Source(Utf8JsonWriter writer, ReadOnlySpan<byte> url)
    {
        // Some encoders write "/" as "\/": escapes are undone so media type and base64 text are clean.
        var text = new RawJson(url).Unescape(default, out var rented);
        var comma = text.IndexOf((byte)',');
        writer.WriteStartObject("source"u8);
        writer.WriteString("type"u8, "base64"u8);
        writer.WriteString("media_type"u8, text[5..(comma - 7)]);
        writer.WriteString("data"u8, text[(comma + 1)..]);
        writer.WriteEndObject();
        if (rented is not null)
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>A string value that is a <c>data:</c> URL with base64 data (escapes undone before the check).</summary>
    private static bool IsBase64DataUrl(ReadOnlySpan<byte> url)
    {
        Span<byte> stack = stackalloc byte[160];
        var inner = new RawJson(url).StringContentOrEmpty;
        var head = inner[..Math.Min(inner.Length, 128)];
        if (head.IndexOf((byte)'\\') >= 0)
        {
            // Only the head matters; a cut escape at its end fails to unescape and says no.
            var quoted = new byte[head.Length + 2];
            quoted[0] = (byte)'"';
            head.CopyTo(quoted.AsSpan(1));
            quoted[^1] = (byte)'"';
            try
            {
                head = new RawJson(quoted).Unescape(stack, out _).ToArray();
            }
            catch (System.Text.Json.JsonException)
            {
                return false;
            }
        }
        var comma = head.IndexOf((byte)',');
        return head.StartsWith("data:"u8) && comma > 5 && head[..comma].EndsWith(";base64"u8);
    }

    private static void WriteToolUses(Utf8JsonWriter writer, ReadOnlySpan<byte> toolCalls)
    {
        var calls = new JsonItems(toolCalls);
        while (calls.Next(out var call))
        {
            var fields = PivotToolCall.ReadPresent(call);
            ReadOnlySpan<byte> id = fields.Id.Bytes, name = fields.Name.Bytes, arguments = fields.Arguments.Bytes;
            writer.WriteStartObject();
            writer.WriteString("type"u8, "tool_use"u8);
            WriteStringOrEmpty(writer, "id"u8, id);
            WriteStringOrEmpty(writer, "name"u8, name);
            writer.WritePropertyName("input"u8);
            WriteArgumentsAsObject(writer, arguments);
            writer.WriteEndObject();
        }
    }

    /// <summary>
    /// OpenAI's arguments string parsed into the JSON object it holds; arguments that are empty or
    /// not an object (a model can stream half an object before it is cut) become <c>{}</c>.
    /// </summary>
    internal static void WriteArgumentsAsObject(Utf8JsonWriter writer, ReadOnlySpan<byte> arguments)
    {
        if (new RawJson(arguments).IsObject)
        {
            // Some clients send the object itself rather than a string holding it.
            writer.WriteRawValue(arguments, skipInputValidation: true);
            return;
        }
        Span<byte> stack = stackalloc byte[512];
        var json = new RawJson(arguments).Unescape(stack, out var rented);
        try
        {
            if (IsWholeObject(json))
            {
                writer.WriteRawValue(json, skipInputValidation: true);
            }
            else
            {
                writer.WriteStartObject();
                writer.WriteEndObject();
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

    private static bool IsWholeObject(ReadOnlySpan<byte> json)
    {
        var trimmed = json.Trim(" \t\r\n"u8);
        if (trimmed.IsEmpty || trimmed[0] != (byte)'{' || trimmed[^1] != (byte)'}')
        {
            // Empty arguments (a call without parameters) are common: answered without a thrown exception.
            return false;
        }
        try
        {
            var reader = new Utf8JsonReader(json);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return false;
            }
            reader.Skip();
            return !reader.Read();
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private static void WriteToolResult(Utf8JsonWriter writer, ReadOnlySpan<byte> toolCallId, ReadOnlySpan<byte> content)
    {
        writer.WriteStartObject();
        writer.WriteString("type"u8, "tool_result"u8);
        WriteStringOrEmpty(writer, "tool_use_id"u8, toolCallId);
        if (new RawJson(content).IsString)
        {
            writer.WritePropertyName("content"u8);
            writer.WriteRawValue(content, skipInputValidation: true);
        }
        else if (new RawJson(content).IsArray)
        {
            writer.WriteStartArray("content"u8);
            WriteContentBlocks(writer, content);
            writer.WriteEndArray();
        }
        writer.WriteEndObject();
    }

    private static bool WriteTools(Utf8JsonWriter writer, ReadOnlySpan<byte> tools)
    {
        var any = false;
        var items = new JsonItems(tools);
        while (items.Next(out var tool))
        {
            ReadOnlySpan<byte> name = default, description = default, parameters = default;
            var members = new JsonMembers(tool);
            while (members.Next(out var key, out var value))
            {
                if (!key.SequenceEqual("function"u8))
                {
                    continue;
                }
                var function = new JsonMembers(value);
                while (function.Next(out var fkey, out var fvalue))
                {
                    switch (fkey.Length)
                    {
                        case 4 when fkey.SequenceEqual("name"u8): name = fvalue; break;
                        case 11 when fkey.SequenceEqual("description"u8): description = fvalue; break;
                        case 10 when fkey.SequenceEqual("parameters"u8): parameters = fvalue; break;
                    }
                }
            }
            if (!new RawJson(name).IsString)
            {
                continue;
            }
            if (!any)
            {
                writer.WriteStartArray("tools"u8);
                any = true;
            }
            writer.WriteStartObject();
            writer.WritePropertyName("name"u8);
            writer.WriteRawValue(name, skipInputValidation: true);
            if (new RawJson(description).IsString)
            {
                writer.WritePropertyName("description"u8);
                writer.WriteRawValue(description, skipInputValidation: true);
            }
            writer.WritePropertyName("input_schema"u8);
            if (new RawJson(parameters).IsObject)
            {
                writer.WriteRawValue(parameters, skipInputValidation: true);
            }
            else
            {
                // A function without parameters takes none: Anthropic still wants a schema.
                writer.WriteStartObject();
                writer.WriteString("type"u8, "object"u8);
                writer.WriteStartObject("properties"u8);
                writer.WriteEndObject();
                writer.WriteEndObject();
            }
            writer.WriteEndObject();
        }
        if (any)
        {
            writer.WriteEndArray();
        }
        return any;
    }

    /// <summary><c>auto</c>, <c>none</c>, <c>required</c> (Anthropic's <c>any</c>) or a named function (Anthropic's <c>tool</c>).</summary>
    private static void WriteToolChoice(Utf8JsonWriter writer, ReadOnlySpan<byte> toolChoice, bool oneCallOnly)
    {
        ReadOnlySpan<byte> named = default;
        ReadOnlySpan<byte> type;
        if (new RawJson(toolChoice).StringIsVerbatim("none"u8))
        {
            type = "none"u8;
        }
        else if (new RawJson(toolChoice).StringIsVerbatim("required"u8))
        {
            type = "any"u8;
        }
        else if (new RawJson(toolChoice).IsObject)
        {
            type = "auto"u8;
            var members = new JsonMembers(toolChoice);
            while (members.Next(out var key, out var value))
            {
                if (!key.SequenceEqual("function"u8))
                {
                    continue;
                }
                var function = new JsonMembers(value);
                while (function.Next(out var fkey, out var fvalue))
                {
                    if (fkey.SequenceEqual("name"u8) && new RawJson(fvalue).IsString)
                    {
                        named = fvalue;
                        type = "tool"u8;
                    }
                }
            }
        }
        else if (new RawJson(toolChoice).IsAbsentOrNull && !oneCallOnly)
        {
            return;
        }
        else
        {
            type = "auto"u8;
        }
        writer.WriteStartObject("tool_choice"u8);
        writer.WriteString("type"u8, type);
        if (!named.IsEmpty)
        {
            writer.WritePropertyName("name"u8);
            writer.WriteRawValue(named, skipInputValidation: true);
        }
        if (oneCallOnly && !type.SequenceEqual("none"u8))
        {
            writer.WriteBoolean("disable_parallel_tool_use"u8, true);
        }
        writer.WriteEndObject();
    }

    private static void WriteStringOrEmpty(Utf8JsonWriter writer, ReadOnlySpan<byte> name, ReadOnlySpan<byte> value)
    {
        writer.WritePropertyName(name);
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
