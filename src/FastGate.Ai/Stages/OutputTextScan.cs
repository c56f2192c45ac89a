using System.Text.Json;
using FastGate.Core.Buffers;

namespace FastGate.Ai.Stages;

/// <summary>
/// The text a pivot answer added (message content, reasoning, tool-call arguments), as JSON string
/// bytes, for a token estimate when the provider reported no usage. The input may be several JSON
/// values one after another (stream chunks kept unread).
/// </summary>
public static class OutputTextScan
{
    /// <summary>
    /// The text of stream chunks kept unread, one to a line, each bare or as its SSE <c>data:</c>
    /// line (blank lines between them are skipped).
    /// </summary>
    public static void AppendKeptChunks(ReadOnlySpan<byte> kept, PooledByteBuffer output)
    {
        while (!kept.IsEmpty)
        {
            var end = kept.IndexOf((byte)'\n');
            var line = end < 0 ? kept : kept[..end];
            kept = end < 0 ? default : kept[(end + 1)..];
            if (line.StartsWith("data:"u8))
            {
                line = line[5..];
                if (!line.IsEmpty && line[0] == (byte)' ')
                {
                    line = line[1..];
                }
            }
            if (!line.IsEmpty)
            {
                Append(line, output);
            }
        }
    }

    public static void Append(ReadOnlySpan<byte> pivotResponse, PooledByteBuffer output)
    {
        var reader = new Utf8JsonReader(pivotResponse, new JsonReaderOptions { AllowMultipleValues = true });
        try
        {
            var take = false;
            while (reader.Read())
            {
                switch (reader.TokenType)
                {
                    case JsonTokenType.PropertyName:
                        take = reader.ValueTextEquals("content"u8) || reader.ValueTextEquals("arguments"u8)
                            || reader.ValueTextEquals("reasoning_content"u8) || reader.ValueTextEquals("refusal"u8);
                        break;
                    case JsonTokenType.String when take:
                        output.Write(reader.HasValueSequence ? default : reader.ValueSpan);
                        output.Write(" "u8);
                        take = false;
                        break;
                    default:
                        take = false;
                        break;
                }
            }
        }
        catch (JsonException)
        {
            // A broken answer was already told to the client; the estimate takes what was read.
        }
    }
}
