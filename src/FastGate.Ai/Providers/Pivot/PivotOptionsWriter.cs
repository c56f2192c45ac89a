using System.Text.Json;
using FastGate.Ai.Json;

namespace FastGate.Ai.Providers.Pivot;

/// <summary>
/// The one object a provider takes the pivot's sampling settings in (Gemini's
/// <c>generationConfig</c>, Ollama's <c>options</c>), each under the provider's own name. The
/// object is opened at the first setting the request has, so a request with none sends no empty
/// object.
/// </summary>
internal ref struct PivotOptionsWriter
{
    private readonly Utf8JsonWriter _writer;
    private readonly ReadOnlySpan<byte> _objectName;
    private bool _open;

    public PivotOptionsWriter(Utf8JsonWriter writer, ReadOnlySpan<byte> objectName)
    {
        _writer = writer;
        _objectName = objectName;
    }

    /// <summary>The writer inside the object, opening it first, for a setting the caller writes itself.</summary>
    public Utf8JsonWriter Open()
    {
        if (!_open)
        {
            _writer.WriteStartObject(_objectName);
            _open = true;
        }
        return _writer;
    }

    /// <summary>A number as the client wrote it; anything else is left out.</summary>
    public void Number(ReadOnlySpan<byte> name, RawJson value)
    {
        if (!value.IsNumber)
        {
            return;
        }
        var writer = Open();
        writer.WritePropertyName(name);
        writer.WriteRawValue(value.Bytes, skipInputValidation: true);
    }

    /// <summary>OpenAI's <c>stop</c>, a string or an array of strings, always as an array.</summary>
    public void StopSequences(ReadOnlySpan<byte> name, RawJson stop)
    {
        if (!stop.IsString && !stop.IsArray)
        {
            return;
        }
        var writer = Open();
        writer.WritePropertyName(name);
        if (stop.IsString)
        {
            writer.WriteStartArray();
            writer.WriteRawValue(stop.Bytes, skipInputValidation: true);
            writer.WriteEndArray();
        }
        else
        {
            writer.WriteRawValue(stop.Bytes, skipInputValidation: true);
        }
    }

    /// <summary>Closes the object when anything opened it.</summary>
    public readonly void End()
    {
        if (_open)
        {
            _writer.WriteEndObject();
        }
    }
}
