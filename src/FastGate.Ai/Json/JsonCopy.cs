using System.Text.Json;

namespace FastGate.Ai.Json;

/// <summary>Moves JSON values from a reader over a whole document to a writer without a DOM.</summary>
public static class JsonCopy
{
    /// <summary>
    /// Writes the value the reader is on (a scalar, or an object or array with everything in it) to
    /// <paramref name="writer"/> as it is, and leaves the reader on the value's last token.
    /// <paramref name="document"/> is the span the reader reads.
    /// </summary>
    public static void Value(ref Utf8JsonReader reader, ReadOnlySpan<byte> document, Utf8JsonWriter writer) =>
        writer.WriteRawValue(RawJson.Capture(ref reader, document).Bytes, skipInputValidation: true);

    /// <summary>The raw bytes of the value the reader is on (for a string: with its quotes), leaving the reader on its last token.</summary>
    public static ReadOnlySpan<byte> Raw(ref Utf8JsonReader reader, ReadOnlySpan<byte> document) =>
        RawJson.Capture(ref reader, document).Bytes;
}
