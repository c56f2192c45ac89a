using System.Buffers;
using System.Text.Json;

namespace FastGate.Ai.Providers.Pivot;

/// <summary>
/// Joins the contents of JSON strings (raw, escapes left in) into one JSON string without
/// unescaping: valid JSON string contents put side by side are a valid JSON string's content.
/// One rented array per join.
/// </summary>
internal ref struct RawStringJoiner
{
    private readonly ReadOnlySpan<byte> _separator;
    private byte[]? _buffer;
    private int _length;
    private int _pieces;

    public RawStringJoiner(ReadOnlySpan<byte> separator)
    {
        _separator = separator;
    }

    public readonly int Pieces => _pieces;

    public void Append(ReadOnlySpan<byte> stringContent)
    {
        var separator = _pieces > 0 ? _separator : default;
        Ensure(separator.Length + stringContent.Length + 2);
        separator.CopyTo(_buffer.AsSpan(_length));
        _length += separator.Length;
        stringContent.CopyTo(_buffer.AsSpan(_length));
        _length += stringContent.Length;
        _pieces++;
    }

    /// <summary>Writes the joined string as a JSON value (an empty string when nothing was appended).</summary>
    public void WriteTo(Utf8JsonWriter writer)
    {
        Ensure(2);
        var buffer = _buffer!;
        buffer.AsSpan(0, _length).CopyTo(buffer.AsSpan(1));
        buffer[0] = (byte)'"';
        buffer[_length + 1] = (byte)'"';
        writer.WriteRawValue(buffer.AsSpan(0, _length + 2), skipInputValidation: true);
    }

    public void Dispose()
    {
        if (_buffer is not null)
        {
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = null;
        }
    }

    private void Ensure(int more)
    {
        // Two bytes kept free for the quotes WriteTo adds around the contents.
        var need = _length + more + 2;
        if (_buffer is not null && need <= _buffer.Length)
        {
            return;
        }
        var bigger = ArrayPool<byte>.Shared.Rent(Math.Max(need, 256));
        if (_buffer is not null)
        {
            _buffer.AsSpan(0, _length).CopyTo(bigger);
            ArrayPool<byte>.Shared.Return(_buffer);
        }
        _buffer = bigger;
    }
}
