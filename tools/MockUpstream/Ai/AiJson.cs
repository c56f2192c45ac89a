using System.Buffers;
using System.Text.Json;

namespace FastGate.Tools.MockUpstream.Ai;

/// <summary>JSON and SSE framing helpers for the mock providers (per request, never per token).</summary>
internal static class AiJson
{
    private static readonly JsonWriterOptions Options = new()
    {
        // Provider bodies carry the text as is ("\"" is the only escape the tool arguments need).
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static byte[] Object(Action<Utf8JsonWriter> write)
    {
        var output = new ArrayBufferWriter<byte>(512);
        using (var json = new Utf8JsonWriter(output, Options))
        {
            json.WriteStartObject();
            write(json);
            json.WriteEndObject();
        }
        return output.WrittenSpan.ToArray();
    }

    /// <summary><c>event: NAME</c> (when given), <c>data: JSON</c>, and the blank line, with <paramref name="eol"/> line ends.</summary>
    public static byte[] Sse(string? eventName, byte[] data, string eol = "\n")
    {
        var output = new ArrayBufferWriter<byte>(data.Length + 64);
        if (eventName is not null)
        {
            Write(output, "event: " + eventName + eol);
        }
        Write(output, "data: ");
        output.Write(data);
        Write(output, eol + eol);
        return output.WrittenSpan.ToArray();
    }

    public static byte[] Line(byte[] data)
    {
        var line = new byte[data.Length + 1];
        data.CopyTo(line, 0);
        line[^1] = (byte)'\n';
        return line;
    }

    public static void Write(IBufferWriter<byte> output, string ascii)
    {
        var span = output.GetSpan(ascii.Length);
        for (var i = 0; i < ascii.Length; i++)
        {
            span[i] = (byte)ascii[i];
        }
        output.Advance(ascii.Length);
    }

    /// <summary>A deterministic small vector for an embedding input (8 dimensions, from its length and words).</summary>
    public static float[] Vector(string input)
    {
        var v = new float[8];
        var words = AiRequest.Words(input);
        for (var i = 0; i < v.Length; i++)
        {
            v[i] = MathF.Round(((input.Length * (i + 3) + words * (i + 7)) % 97) / 97f, 4);
        }
        return v;
    }

    public static void WriteFloats(Utf8JsonWriter json, string name, float[] values)
    {
        json.WriteStartArray(name);
        foreach (var value in values)
        {
            json.WriteNumberValue(value);
        }
        json.WriteEndArray();
    }
}
