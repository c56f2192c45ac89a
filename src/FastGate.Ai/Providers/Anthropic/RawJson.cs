using System.Buffers;
using System.Buffers.Text;
using System.Text;
using System.Text.Json;

namespace FastGate.Ai.Providers.Anthropic;

/// <summary>Questions asked of one raw JSON value (a slice from <see cref="JsonMembers"/> or <see cref="JsonItems"/>).</summary>
internal static class RawJson
{
    public static bool IsString(ReadOnlySpan<byte> value) => value.Length >= 2 && value[0] == (byte)'"';

    public static bool IsObject(ReadOnlySpan<byte> value) => !value.IsEmpty && value[0] == (byte)'{';

    public static bool IsArray(ReadOnlySpan<byte> value) => !value.IsEmpty && value[0] == (byte)'[';

    public static bool IsNull(ReadOnlySpan<byte> value) => value.IsEmpty || value.SequenceEqual("null"u8);

    /// <summary>The bytes between a string's quotes, escapes left in.</summary>
    public static ReadOnlySpan<byte> Inner(ReadOnlySpan<byte> value) => IsString(value) ? value[1..^1] : default;

    /// <summary>A string value equal to <paramref name="text"/> (compared as written: escapes are not undone).</summary>
    public static bool StringIs(ReadOnlySpan<byte> value, ReadOnlySpan<byte> text) =>
        value.Length == text.Length + 2 && value[0] == (byte)'"' && value[1..^1].SequenceEqual(text);

    public static bool IsNumber(ReadOnlySpan<byte> value) =>
        !value.IsEmpty && (value[0] == (byte)'-' || (value[0] >= (byte)'0' && value[0] <= (byte)'9'));

    /// <summary>A whole number (also one written as <c>12.0</c> or <c>1e3</c>).</summary>
    public static bool TryInt64(ReadOnlySpan<byte> value, out long number)
    {
        if (Utf8Parser.TryParse(value, out number, out int consumed) && consumed == value.Length)
        {
            return true;
        }
        if (Utf8Parser.TryParse(value, out double real, out consumed, 'e') && consumed == value.Length
            && real == Math.Floor(real) && Math.Abs(real) < long.MaxValue)
        {
            number = (long)real;
            return true;
        }
        number = 0;
        return false;
    }

    /// <summary>A string value unescaped (errors and other rare paths: allocates).</summary>
    public static string Text(ReadOnlySpan<byte> value)
    {
        if (!IsString(value))
        {
            return Encoding.UTF8.GetString(value);
        }
        var reader = new Utf8JsonReader(value);
        reader.Read();
        return reader.GetString() ?? "";
    }

    /// <summary>
    /// Unescapes a string value into <paramref name="buffer"/> (rented when the stack one is too small;
    /// the caller returns <paramref name="rented"/> to the pool when not null).
    /// </summary>
    public static ReadOnlySpan<byte> Unescape(ReadOnlySpan<byte> value, Span<byte> buffer, out byte[]? rented)
    {
        rented = null;
        var inner = Inner(value);
        if (inner.IndexOf((byte)'\\') < 0)
        {
            return inner;
        }
        if (inner.Length > buffer.Length)
        {
            rented = ArrayPool<byte>.Shared.Rent(inner.Length);
            buffer = rented;
        }
        var reader = new Utf8JsonReader(value);
        reader.Read();
        var written = reader.CopyString(buffer);
        return buffer[..written];
    }

    /// <summary>A string's unescaped bytes into a fixed buffer (cut at its size); its length.</summary>
    public static int KeepLabel(ReadOnlySpan<byte> value, byte[] buffer)
    {
        if (!RawJson.IsString(value))
        {
            return 0;
        }
        Span<byte> stack = stackalloc byte[256];
        var text = RawJson.Unescape(value, stack, out var rented);
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
}
