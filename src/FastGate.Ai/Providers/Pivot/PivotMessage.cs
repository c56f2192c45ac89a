using System.Text.Json;
using FastGate.Ai.Json;

namespace FastGate.Ai.Providers.Pivot;

/// <summary>One element of a pivot request's <c>messages</c>, its fields found in one pass (the role may come last).</summary>
internal ref struct PivotMessage
{
    public PivotRole Role;
    /// <summary>A string, an array of parts, or null.</summary>
    public RawJson Content;
    public RawJson ToolCalls;
    public RawJson ToolCallId;
    public RawJson Name;

    /// <summary>Reads a message object; throws <see cref="JsonException"/> when it is not one.</summary>
    public static PivotMessage Scan(RawJson message)
    {
        if (!message.IsObject)
        {
            throw new JsonException("a message is not a JSON object");
        }
        var fields = new PivotMessage();
        var document = message.Bytes;
        var reader = message.Reader();
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("role"u8))
            {
                reader.Read();
                fields.Role = reader.TokenType != JsonTokenType.String ? PivotRole.Unknown
                    : reader.ValueTextEquals("user"u8) ? PivotRole.User
                    : reader.ValueTextEquals("assistant"u8) ? PivotRole.Assistant
                    : reader.ValueTextEquals("system"u8) || reader.ValueTextEquals("developer"u8) ? PivotRole.System
                    : reader.ValueTextEquals("tool"u8) ? PivotRole.Tool
                    : PivotRole.Unknown;
            }
            else if (reader.ValueTextEquals("content"u8)) fields.Content = RawJson.CaptureProperty(ref reader, document);
            else if (reader.ValueTextEquals("tool_calls"u8)) fields.ToolCalls = RawJson.CaptureProperty(ref reader, document);
            else if (reader.ValueTextEquals("tool_call_id"u8)) fields.ToolCallId = RawJson.CaptureProperty(ref reader, document);
            else if (reader.ValueTextEquals("name"u8)) fields.Name = RawJson.CaptureProperty(ref reader, document);
            else RawJson.SkipProperty(ref reader);
        }
        return fields;
    }
}
