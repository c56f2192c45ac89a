using System.Text.Json;
using FastGate.Ai.Json;

namespace FastGate.Ai.Providers.Pivot;

/// <summary>A pivot request's <c>response_format</c>: its <c>type</c> and, for <c>json_schema</c>, the schema.</summary>
internal ref struct PivotResponseFormat
{
    /// <summary><c>text</c>, <c>json_object</c> or <c>json_schema</c> (a JSON string; compare unescaped).</summary>
    public RawJson Type;
    /// <summary><c>json_schema.schema</c>: the JSON Schema object the answer must meet.</summary>
    public RawJson Schema;

    /// <summary>Anything but an object reads as no format; a <c>json_schema</c> that is not an object is passed over.</summary>
    public static PivotResponseFormat Scan(RawJson responseFormat)
    {
        var fields = new PivotResponseFormat();
        if (!responseFormat.IsObject)
        {
            return fields;
        }
        var reader = responseFormat.Reader();
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("type"u8))
            {
                fields.Type = RawJson.CaptureProperty(ref reader, responseFormat.Bytes);
            }
            else if (reader.ValueTextEquals("json_schema"u8))
            {
                reader.Read();
                if (reader.TokenType != JsonTokenType.StartObject)
                {
                    reader.Skip();
                    continue;
                }
                while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                {
                    if (reader.ValueTextEquals("schema"u8)) fields.Schema = RawJson.CaptureProperty(ref reader, responseFormat.Bytes);
                    else RawJson.SkipProperty(ref reader);
                }
            }
            else
            {
                RawJson.SkipProperty(ref reader);
            }
        }
        return fields;
    }
}
