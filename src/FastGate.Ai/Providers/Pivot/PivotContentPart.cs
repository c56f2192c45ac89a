using System.Text.Json;
using FastGate.Ai.Json;

namespace FastGate.Ai.Providers.Pivot;

/// <summary>
/// One element of a pivot message's content array: <c>{type:text,text}</c>,
/// <c>{type:image_url,image_url:{url}}</c> (or <c>image_url</c> as a bare string), or
/// <c>{type:input_audio,input_audio:{data,format}}</c>.
/// </summary>
internal ref struct PivotContentPart
{
    public PivotPartKind Kind;
    public RawJson Type;
    public RawJson Text;
    /// <summary>The image URL (a JSON string).</summary>
    public RawJson Url;
    public RawJson AudioData;
    public RawJson AudioFormat;

    public static PivotContentPart Scan(RawJson part)
    {
        if (!part.IsObject)
        {
            throw new JsonException("a content part is not a JSON object");
        }
        var fields = new PivotContentPart();
        var document = part.Bytes;
        var reader = part.Reader();
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("type"u8))
            {
                fields.Type = RawJson.CaptureProperty(ref reader, document);
            }
            else if (reader.ValueTextEquals("text"u8))
            {
                fields.Text = RawJson.CaptureProperty(ref reader, document);
            }
            else if (reader.ValueTextEquals("image_url"u8))
            {
                reader.Read();
                if (reader.TokenType == JsonTokenType.String)
                {
                    fields.Url = RawJson.Capture(ref reader, document);
                }
                else if (reader.TokenType == JsonTokenType.StartObject)
                {
                    while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                    {
                        if (reader.ValueTextEquals("url"u8)) fields.Url = RawJson.CaptureProperty(ref reader, document);
                        else RawJson.SkipProperty(ref reader);
                    }
                }
                else
                {
                    reader.Skip();
                }
            }
            else if (reader.ValueTextEquals("input_audio"u8))
            {
                reader.Read();
                if (reader.TokenType == JsonTokenType.StartObject)
                {
                    while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                    {
                        if (reader.ValueTextEquals("data"u8)) fields.AudioData = RawJson.CaptureProperty(ref reader, document);
                        else if (reader.ValueTextEquals("format"u8)) fields.AudioFormat = RawJson.CaptureProperty(ref reader, document);
                        else RawJson.SkipProperty(ref reader);
                    }
                }
                else
                {
                    reader.Skip();
                }
            }
            else
            {
                RawJson.SkipProperty(ref reader);
            }
        }
        fields.Kind = fields.Type.StringEquals("text"u8) && fields.Text.IsString ? PivotPartKind.Text
            : fields.Type.StringEquals("image_url"u8) && fields.Url.IsString ? PivotPartKind.ImageUrl
            : fields.Type.StringEquals("input_audio"u8) && fields.AudioData.IsString ? PivotPartKind.InputAudio
            : PivotPartKind.Unknown;
        return fields;
    }
}
