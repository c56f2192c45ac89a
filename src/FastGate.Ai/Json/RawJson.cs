using System.Buffers;
using System.Buffers.Text;
using System.Text;
using System.Text.Json;

namespace FastGate.Ai.Json;

/// <summary>
/// One JSON value as its raw bytes inside a document a <see cref="Utf8JsonReader"/> has already
/// walked (so the bytes are valid JSON): what a scan of an object records for each field it wants,
/// read again only when the translation needs it (a slice from <see cref="JsonMembers"/> or
/// <see cref="JsonItems"/> too). No DOM, no copy.
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

    /// <summary>Absent, or a JSON <c>null</c>.</summary>
    public bool IsAbsentOrNull => Bytes.IsEmpty || Bytes.SequenceEqual("null"u8);

    /// <summary>The bytes between a string's quotes, escapes left in; nothing for any other value.</summary>
    public ReadOnlySpan<byte> StringContentOrEmpty => IsString ? Bytes[1..^1] : default;

    /// <summary>A string equal to <paramref name="text"/> as written: escapes are not undone (cheaper than <see cref="StringEquals"/> for names no client escapes).</summary>
    public bool StringIsVerbatim(ReadOnlySpan<byte> text) =>
        Bytes.Length == text.Length + 2 && Bytes[0] == (byte)'"' && Bytes[1..^1].SequenceEqual(text);

    /// <summary>A whole number, also one written as <c>12.0</c> or <c>1e3</c> (where <see cref="TryGetInt64"/> takes integers only).</summary>
    public bool TryGetWholeNumber(out long number)
    {
        if (Utf8Parser.TryParse(Bytes, out number, out int consumed) && consumed == Bytes.Length)
        {
            return true;
        }
        if (Utf8Parser.TryParse(Bytes, out double real, out consumed, 'e') && consumed == Bytes.Length
            && real == Math.Floor(real) && Math.Abs(real) < long.MaxValue)
        {
            number = (long)real;
            return true;
        }
        number = 0;
        return false;
    }

    /// <summary>A string unescaped, any other value as its JSON text (errors and other rare paths: allocates).</summary>
    public string Text()
    {
        if (!IsString)
        {
            return Encoding.UTF8.GetString(Bytes);
        }
        var reader = Reader();
        return reader.GetString() ?? "";
    }

    /// <summary>
    /// A string unescaped into <paramref name="buffer"/> (rented when that one is too small; the
    /// caller returns <paramref name="rented"/> to the pool when not null).
    /// </summary>
    public ReadOnlySpan<byte> Unescape(Span<byte> buffer, out byte[]? rented)
    {
        rented = null;
        var inner = StringContentOrEmpty;
        if (inner.IndexOf((byte)'\\') < 0)
        {
            return inner;
        }
        if (inner.Length > buffer.Length)
        {
            rented = ArrayPool<byte>.Shared.Rent(inner.Length);
            buffer = rented;
        }
        var reader = Reader();
        var written = reader.CopyString(buffer);
        return buffer[..written];
    }

    /// <summary>A string's unescaped bytes into a fixed buffer (cut at its size); its length.</summary>
    public int KeepLabel(byte[] buffer)
    {
        if (!IsString)
        {
            return 0;
        }
        Span<byte> stack = stackalloc byte[256];
        var text = Unescape(stack, out var rented);
        var length = Math.Min(text.Length, buffer.Length);
        while (length < text.Length && length > 0 && (text[length] & 0xC0) == 0x80)
        {
            // Cut before a whole character, never inside one.
            length--;
        }
        text[..length].CopyTo(buffer);
        if (rented is not null)
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
        return length;
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
