using System.Text.Json;

namespace FastGate.Ai.Json;

/// <summary>The items of one JSON array as raw values (see <see cref="JsonMembers"/>).</summary>
internal ref struct JsonItems
{
    private Utf8JsonReader _reader;
    private readonly ReadOnlySpan<byte> _json;

    public JsonItems(ReadOnlySpan<byte> json)
    {
        _json = json;
        _reader = new Utf8JsonReader(json);
        IsArray = _reader.Read() && _reader.TokenType == JsonTokenType.StartArray;
    }

    public bool IsArray { get; }

    public bool Next(out ReadOnlySpan<byte> item)
    {
        if (!IsArray || !_reader.Read() || _reader.TokenType == JsonTokenType.EndArray)
        {
            item = default;
            return false;
        }
        item = RawJson.Capture(ref _reader, _json).Bytes;
        return true;
    }
}
