using System.Buffers;
using System.Text.Json;
using FastGate.Ai.Json;

namespace FastGate.Ai.Providers.Pivot;

/// <summary>Text out of pivot content and provider parts, moved as raw JSON string bytes wherever it can be.</summary>
internal static class PivotText
{
    /// <summary>
    /// Writes a message's text as one JSON string: a string content as it is; an array of parts as
    /// its <c>text</c> parts joined with <paramref name="separator"/> (raw JSON string bytes, such
    /// as <c>\n</c> escaped); anything else as an empty string.
    /// </summary>
    public static void WriteContentText(Utf8JsonWriter writer, RawJson content, ReadOnlySpan<byte> separator)
    {
        if (content.IsString)
        {
            writer.WriteRawValue(content.Bytes, skipInputValidation: true);
            return;
        }
        var joiner = new RawStringJoiner(separator);
        try
        {
            if (content.IsArray)
            {
                var reader = content.Reader();
                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                {
                    var part = RawJson.Capture(ref reader, content.Bytes);
                    if (TextOfPart(part) is { IsString: true } text)
                    {
                        joiner.Append(text.StringContent);
                    }
                }
            }
            joiner.WriteTo(writer);
        }
        finally
        {
            joiner.Dispose();
        }
    }

    /// <summary>The <c>text</c> of a <c>{"type":"text","text":...}</c> part; a missing value for other parts.</summary>
    public static RawJson TextOfPart(RawJson part)
    {
        if (!part.IsObject)
        {
            return default;
        }
        var reader = part.Reader();
        RawJson text = default;
        var isText = false;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("type"u8))
            {
                reader.Read();
                isText = reader.TokenType == JsonTokenType.String && reader.ValueTextEquals("text"u8);
            }
            else if (reader.ValueTextEquals("text"u8))
            {
                text = RawJson.CaptureProperty(ref reader, part.Bytes);
            }
            else
            {
                RawJson.SkipProperty(ref reader);
            }
        }
        return isText ? text : default;
    }

    /// <summary>
    /// A JSON string as a .NET string for people (error messages): invalid UTF-8 becomes U+FFFD
    /// rather than an exception, since a provider's error body is not to be trusted. Null when the
    /// value is not a string.
    /// </summary>
    public static string? ToDisplayString(RawJson value)
    {
        if (!value.IsString)
        {
            return null;
        }
        var text = value.Unescape(default, out var rented);
        try
        {
            return System.Text.Encoding.UTF8.GetString(text);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    /// <summary>
    /// True when <paramref name="text"/> (after leading and trailing white space) is one whole JSON
    /// object (or, with <paramref name="allowArray"/>, array); <paramref name="json"/> is it trimmed.
    /// </summary>
    public static bool IsJsonObject(ReadOnlySpan<byte> text, bool allowArray, out ReadOnlySpan<byte> json)
    {
        json = text.Trim(" \t\r\n"u8);
        if (json.IsEmpty || !(json[0] == (byte)'{' || (allowArray && json[0] == (byte)'[')))
        {
            return false;
        }
        try
        {
            var reader = new Utf8JsonReader(json);
            reader.Read();
            reader.Skip();
            return reader.BytesConsumed == json.Length;
        }
        catch (JsonException)
        {
            return false;
        }
    }
}
