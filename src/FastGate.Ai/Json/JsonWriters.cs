using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace FastGate.Ai.Json;

/// <summary>
/// One <see cref="Utf8JsonWriter"/> per thread, reset onto the output each time: translating a body
/// or an event allocates no writer. Callers flush (<see cref="Utf8JsonWriter.Flush"/>) before
/// they return and never keep the writer past the call.
/// </summary>
public static class JsonWriters
{
    // Relaxed escaping: the text goes to JSON parsers, not into HTML; non-ASCII stays as it came.
    private static readonly JsonWriterOptions Options = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, SkipValidation = false };

    [ThreadStatic]
    private static Utf8JsonWriter? t_writer;

    public static Utf8JsonWriter For(IBufferWriter<byte> output)
    {
        var writer = t_writer;
        if (writer is null)
        {
            t_writer = writer = new Utf8JsonWriter(output, Options);
        }
        else
        {
            writer.Reset(output);
        }
        return writer;
    }
}
