using System.Buffers.Text;
using System.Text.Json;

namespace FastGate.Ai.Json;

/// <summary>
/// One JSON value as its raw bytes inside a document a <see cref="Utf8JsonReader"/> has already
/// walked (so the bytes are valid JSON): what a scan of an object records for each field it wants,
/// read again only when the translation needs it. No DOM, no copy.
/// </summary>
internal readonly ref struct RawJson
{
    public readonly ReadOnlySpan<byte> Bytes;

    public RawJson(ReadOnlySpan<byte> bytes) => Bytes = bytes;

    /// <summary>The field was present (a JSON <c>null</c> is present).</summary>
    public bool Exists => !Bytes.IsEmpty;
    public bool IsString => Bytes.Length >= 2 && Bytes[0] == (byte)'"';
    public bool IsObject => !Bytes.IsEmpty && Bytes[0] == (byte)'{';
    public bool IsArray => !Bytes.IsEmpty && Bytes[0] == (byte)'[';
    public bool IsNull => !Bytes.IsEmpty && Bytes[0] == (byte)'n';
    public bool IsTrue => !Bytes.IsEmpty && Bytes[0] == (byte)'t';
    public bool IsNumber => !Bytes.IsEmpty && (Bytes[0] == (byte)'-' || (uint)(Bytes[0] - '0') <= 9);

    /// <summary>A string's bytes between its quotes, escapes left in.</summary>
    public ReadOnlySpan<byte> StringContent => Bytes[1..^1];

    /// <summary>A string with no characters, or an empty array.</summary>
    public bool IsEmptyStringOrArray => Bytes.Length == 2 && (Bytes[0] == (byte)'"' || Bytes[0] == (byte)'[');

    /// <summary>A reader over the value, standing on its first token.</summary>
    public Utf8JsonReader Reader()
    {
        var reader = new Utf8JsonReader(Bytes);
        reader.Read();
        return reader;
    }

    /// <summary>A string equal to <paramref name="text"/> once unescaped.</summary>
    public bool StringEquals(ReadOnlySpan<byte> text)
    {
        if (!IsString)
        {
            return false;
        }
        var reader = Reader();
        return reader.ValueTextEquals(text);
    }

    public bool TryGetInt64(out long value)
    {
        value = 0;
        return IsNumber && Utf8Parser.TryParse(Bytes, out value, out var consumed) && consumed == Bytes.Length;
    }

    /// <summary>The value the reader stands on (a whole object or array with what it holds), leaving the reader on its last token.</summary>
    public static RawJson Capture(scoped ref Utf8JsonReader reader, ReadOnlySpan<byte> document)
    {
        var start = (int)reader.TokenStartIndex;
        if (reader.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray)
        {
            reader.Skip();
        }
        return new RawJson(document[start..(int)reader.BytesConsumed]);
    }

    /// <summary>Reads the property's value and captures it (the reader stands on a property name).</summary>
    public static RawJson CaptureProperty(scoped ref Utf8JsonReader reader, ReadOnlySpan<byte> document)
    {
        reader.Read();
        return Capture(ref reader, document);
    }

    /// <summary>After a document's top-level value: anything but white space left is malformed.</summary>
    public static void ExpectEnd(ref Utf8JsonReader reader)
    {
        if (reader.TokenType != JsonTokenType.EndObject || reader.CurrentDepth != 0 || reader.Read())
        {
            throw new JsonException("the document does not end after its value");
        }
    }

    /// <summary>Steps over the property's value (the reader stands on a property name).</summary>
    public static void SkipProperty(ref Utf8JsonReader reader)
    {
        reader.Read();
        reader.Skip();
    }
}
