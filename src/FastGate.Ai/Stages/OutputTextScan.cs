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
