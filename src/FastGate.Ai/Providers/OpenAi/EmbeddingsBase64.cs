using System.Buffers;
using System.Buffers.Binary;
using System.Text.Json;
using FastGate.Ai.Json;

namespace FastGate.Ai.Providers.OpenAi;

/// <summary>
/// An OpenAI embeddings list whose vectors are JSON numbers, rewritten as <c>encoding_format: "base64"</c>
/// asks: each vector as the base64 of its little-endian float32 bytes, which is what OpenAI itself sends
/// and what the SDKs decode. Gemini and Ollama only answer numbers, so without this a client that asked
/// for base64 (the OpenAI SDKs do by default) would get a shape it did not ask for. Vectors that are
/// already strings pass as they are.
/// </summary>
internal static class EmbeddingsBase64
{
    /// <summary>Writes <paramref name="list"/> with its vectors in base64; a list this cannot read goes out unchanged.</summary>
    public static void Write(ReadOnlySpan<byte> list, IBufferWriter<byte> output)
    {
        // A first pass only reads, so a list that turns out unreadable half-way has not been half written.
        if (!Walk(list, writer: null))
        {
            output.Write(list);
            return;
        }
        var writer = JsonWriters.For(output);
        Walk(list, writer);
        writer.Flush();
    }

    /// <summary>Reads the list and, when <paramref name="writer"/> is set, writes it converted; false when it is not a list this can convert.</summary>
    private static bool Walk(ReadOnlySpan<byte> list, Utf8JsonWriter? writer)
    {
        try
        {
            var reader = new Utf8JsonReader(list);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return false;
            }
            writer?.WriteStartObject();
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var isData = reader.ValueTextEquals("data"u8);
                CopyName(ref reader, writer);
                reader.Read();
                if (!isData || reader.TokenType != JsonTokenType.StartArray)
                {
                    CopyValue(ref reader, list, writer);
                    continue;
                }
                writer?.WriteStartArray();
                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                {
                    if (reader.TokenType != JsonTokenType.StartObject)
                    {
                        CopyValue(ref reader, list, writer);
                        continue;
                    }
                    if (!Item(ref reader, list, writer))
                    {
                        return false;
                    }
                }
                writer?.WriteEndArray();
            }
            writer?.WriteEndObject();
            return !reader.Read();
        }
        catch (JsonException)
        {
            return false;
        }
    }

    /// <summary>One element of <c>data</c>, the reader on its start: its <c>embedding</c> numbers as base64, the rest copied.</summary>
    private static bool Item(ref Utf8JsonReader reader, ReadOnlySpan<byte> list, Utf8JsonWriter? writer)
    {
        writer?.WriteStartObject();
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var isEmbedding = reader.ValueTextEquals("embedding"u8);
            CopyName(ref reader, writer);
            reader.Read();
            if (!isEmbedding || reader.TokenType != JsonTokenType.StartArray)
            {
                CopyValue(ref reader, list, writer);
                continue;
            }
            if (!Vector(ref reader, writer))
            {
                return false;
            }
        }
        writer?.WriteEndObject();
        return true;
    }

    /// <summary>The numbers of one vector, the reader on its <c>[</c>, as one base64 string value.</summary>
    private static bool Vector(ref Utf8JsonReader reader, Utf8JsonWriter? writer)
    {
        var bytes = ArrayPool<byte>.Shared.Rent(4 * 1024);
        var length = 0;
        try
        {
            while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
            {
                if (reader.TokenType != JsonTokenType.Number || !reader.TryGetSingle(out var value) || !float.IsFinite(value))
                {
                    return false;
                }
                if (length + 4 > bytes.Length)
                {
                    var larger = ArrayPool<byte>.Shared.Rent(bytes.Length * 2);
                    bytes.AsSpan(0, length).CopyTo(larger);
                    ArrayPool<byte>.Shared.Return(bytes);
                    bytes = larger;
                }
                BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(length), value);
                length += 4;
            }
            writer?.WriteBase64StringValue(bytes.AsSpan(0, length));
            return true;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(bytes);
        }
    }

    private static void CopyName(ref Utf8JsonReader reader, Utf8JsonWriter? writer)
    {
        if (writer is null)
        {
            return;
        }
        if (reader.ValueIsEscaped)
        {
            writer.WritePropertyName(reader.GetString()!);
        }
        else
        {
            writer.WritePropertyName(reader.ValueSpan);
        }
    }

    private static void CopyValue(ref Utf8JsonReader reader, ReadOnlySpan<byte> list, Utf8JsonWriter? writer)
    {
        if (writer is null)
        {
            reader.Skip();
        }
        else
        {
            JsonCopy.Value(ref reader, list, writer);
        }
    }
}
