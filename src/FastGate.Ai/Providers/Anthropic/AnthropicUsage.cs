using System.Text.Json;
using FastGate.Ai.Json;

namespace FastGate.Ai.Providers.Anthropic;

/// <summary>
/// Anthropic's <c>usage</c> object. Its <c>input_tokens</c> leaves out the tokens read from and
/// written to the prompt cache; <see cref="TokenUsage.Input"/> counts every input token, so they are
/// added back here.
/// </summary>
internal struct AnthropicUsage
{
    public long InputTokens;
    public long CacheReadInputTokens;
    public long CacheCreationInputTokens;
    public long OutputTokens;
    /// <summary>At least one figure was present.</summary>
    public bool Seen;

    /// <summary>Reads the figures present in <paramref name="usage"/>; absent ones keep their value (a stream's message_delta repeats only some).</summary>
    public void Read(ReadOnlySpan<byte> usage)
    {
        var members = new JsonMembers(usage);
        while (members.Next(out var name, out var value))
        {
            if (!new RawJson(value).TryGetWholeNumber(out var number))
            {
                continue;
            }
            switch (name.Length)
            {
                case 12 when name.SequenceEqual("input_tokens"u8): InputTokens = number; Seen = true; break;
                case 13 when name.SequenceEqual("output_tokens"u8): OutputTokens = number; Seen = true; break;
                case 23 when name.SequenceEqual("cache_read_input_tokens"u8): CacheReadInputTokens = number; Seen = true; break;
                case 27 when name.SequenceEqual("cache_creation_input_tokens"u8): CacheCreationInputTokens = number; Seen = true; break;
            }
        }
    }

    public readonly void To(ref TokenUsage usage)
    {
        if (!Seen)
        {
            return;
        }
        usage.Input = InputTokens + CacheReadInputTokens + CacheCreationInputTokens;
        usage.CachedInput = CacheReadInputTokens;
        usage.CacheWriteInput = CacheCreationInputTokens;
        usage.Output = OutputTokens;
        usage.Reported = true;
    }

    /// <summary>Anthropic's <c>usage</c> figures for <paramref name="usage"/>: input_tokens without the cache's part.</summary>
    public static void WriteAnthropicFigures(Utf8JsonWriter writer, in TokenUsage usage)
    {
        writer.WriteNumber("input_tokens"u8, Math.Max(0, usage.Input - usage.CachedInput - usage.CacheWriteInput));
        writer.WriteNumber("cache_creation_input_tokens"u8, usage.CacheWriteInput);
        writer.WriteNumber("cache_read_input_tokens"u8, usage.CachedInput);
        writer.WriteNumber("output_tokens"u8, usage.Output);
    }
}
