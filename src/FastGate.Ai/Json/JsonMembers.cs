using System.Text.Json;

namespace FastGate.Ai.Json;

/// <summary>
/// The members of one JSON object, each as its raw name and its raw value (a string value with its
/// quotes, an object or array whole), read with a <see cref="Utf8JsonReader"/> and no DOM. The
/// translators look at a few members and copy the rest; a value slice is read again with a new
/// walker when its insides matter. Names are compared raw: a member name written with escapes
/// (<c>"\u006dodel"</c>) is not recognised, which no client does.
/// </summary>
/// <remarks>Malformed JSON throws <see cref="JsonException"/>; the public entry points catch it.</remarks>
internal ref struct JsonMembers
{
    private Utf8JsonReader _reader;
    private readonly ReadOnlySpan<byte> _json;

    /// <summary><paramref name="json"/> must be one whole JSON value; <see cref="IsObject"/> says whether it is an object.</summary>
    public JsonMembers(ReadOnlySpan<byte> json)
    {
        _json = json;
        _reader = new Utf8JsonReader(json);
        IsObject = _reader.Read() && _reader.TokenType == JsonTokenType.StartObject;
    }

    public bool IsObject { get; }

    public bool Next(out ReadOnlySpan<byte> name, out ReadOnlySpan<byte> value)
    {
        if (!IsObject || !_reader.Read() || _reader.TokenType != JsonTokenType.PropertyName)
        {
            name = default;
            value = default;
            return false;
        }
        name = _reader.ValueSpan;
        _reader.Read();
        value = RawJson.Capture(ref _reader, _json).Bytes;
        return true;
    }
}
