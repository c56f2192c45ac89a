using System.Text.Json;

namespace FastGate.Ai.Providers.OpenAi;

/// <summary>
/// Reads an OpenAI <c>usage</c> object into <see cref="TokenUsage"/>. One reader for the three shapes the
/// OpenAI APIs use: chat completions (<c>prompt_tokens</c>, <c>completion_tokens</c>,
/// <c>prompt_tokens_details.cached_tokens</c>, <c>completion_tokens_details.reasoning_tokens</c>), embeddings
/// (<c>prompt_tokens</c> only) and responses (<c>input_tokens</c>, <c>output_tokens</c>,
/// <c>input_tokens_details</c>, <c>output_tokens_details</c>). OpenAI's input counts include cached tokens
/// and its output counts include reasoning tokens, as <see cref="TokenUsage"/> does: the figures are taken
/// as they are. A null figure (some compatible servers send them) leaves the field alone.
/// </summary>
internal static class OpenAiUsage
{
    /// <summary>The reader is on the usage object's StartObject; leaves it on its EndObject.</summary>
    public static void Read(ref Utf8JsonReader reader, ref TokenUsage usage)
    {
        var reported = false;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("prompt_tokens"u8) || reader.ValueTextEquals("input_tokens"u8))
            {
                reader.Read();
                reported |= TryCount(ref reader, ref usage.Input);
            }
            else if (reader.ValueTextEquals("completion_tokens"u8) || reader.ValueTextEquals("output_tokens"u8))
            {
                reader.Read();
                reported |= TryCount(ref reader, ref usage.Output);
            }
            else if (reader.ValueTextEquals("prompt_tokens_details"u8) || reader.ValueTextEquals("input_tokens_details"u8))
            {
                reader.Read();
                ReadDetail(ref reader, "cached_tokens"u8, ref usage.CachedInput);
            }
            else if (reader.ValueTextEquals("completion_tokens_details"u8) || reader.ValueTextEquals("output_tokens_details"u8))
            {
                reader.Read();
                ReadDetail(ref reader, "reasoning_tokens"u8, ref usage.Reasoning);
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }
        if (reported)
        {
            usage.Reported = true;
        }
    }

    /// <summary>One figure of a <c>*_details</c> object (which may be null); the reader ends on the value's last token.</summary>
    private static void ReadDetail(ref Utf8JsonReader reader, ReadOnlySpan<byte> name, ref long field)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            reader.Skip();
            return;
        }
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var wanted = reader.ValueTextEquals(name);
            reader.Read();
            if (wanted)
            {
                TryCount(ref reader, ref field);
            }
            else
            {
                reader.Skip();
            }
        }
    }

    private static bool TryCount(ref Utf8JsonReader reader, ref long field)
    {
        if (reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out var count) && count >= 0)
        {
            field = count;
            return true;
        }
        // A fractional, negative or null count is no count; skip whatever it is.
        reader.Skip();
        return false;
    }
}
