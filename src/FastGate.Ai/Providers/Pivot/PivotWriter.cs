using System.Buffers.Text;
using System.Text.Json;

namespace FastGate.Ai.Providers.Pivot;

/// <summary>
/// Writes the pieces of the pivot response shapes (an OpenAI <c>chat.completion</c> and its
/// <c>chat.completion.chunk</c>s) that every non-OpenAI provider's translation produces alike.
/// </summary>
internal static class PivotWriter
{
    public static ReadOnlySpan<byte> Stop => "stop"u8;
    public static ReadOnlySpan<byte> Length => "length"u8;
    public static ReadOnlySpan<byte> ToolCalls => "tool_calls"u8;
    public static ReadOnlySpan<byte> ContentFilter => "content_filter"u8;

    /// <summary>Room for <see cref="CompletionId"/> and <see cref="ToolCallId"/>.</summary>
    public const int IdBytes = 48;

    /// <summary><c>chatcmpl-</c> and 16 hex digits of the exchange's random salt.</summary>
    public static int CompletionId(Span<byte> destination, ulong salt)
    {
        "chatcmpl-"u8.CopyTo(destination);
        Utf8Formatter.TryFormat(salt, destination[9..], out var written, new System.Buffers.StandardFormat('x', 16));
        return 9 + written;
    }

    /// <summary>
    /// <c>call_</c>, the exchange's salt in hex, <c>_</c> and the call's number: unique across the
    /// turns of a conversation (the provider gives no ids; a client sends them back, and another
    /// provider a fallback reaches may reject repeated ones).
    /// </summary>
    public static int ToolCallId(Span<byte> destination, ulong salt, int number)
    {
        "call_"u8.CopyTo(destination);
        Utf8Formatter.TryFormat(salt, destination[5..], out var written, new System.Buffers.StandardFormat('x', 16));
        var at = 5 + written;
        destination[at++] = (byte)'_';
        Utf8Formatter.TryFormat(number, destination[at..], out written);
        return at + written;
    }

    public static ulong NewSalt() => (ulong)Random.Shared.NextInt64();

    public static long UnixNow() => DateTimeOffset.UtcNow.ToUnixTimeSeconds();

    /// <summary>Opens a <c>chat.completion</c> object up to the start of its one choice's message.</summary>
    public static void CompletionStart(Utf8JsonWriter writer, ulong salt, long created, ReadOnlySpan<byte> modelRaw)
    {
        CompletionHead(writer, salt, created, modelRaw);
        ChoiceStart(writer, 0);
    }

    /// <summary>Closes the message and the choice with its finish reason, writes <see cref="Usage"/> when the provider reported it, and closes the object.</summary>
    public static void CompletionEnd(Utf8JsonWriter writer, ReadOnlySpan<byte> finishReason, in TokenUsage usage)
    {
        ChoiceEnd(writer, finishReason);
        CompletionTail(writer, usage);
    }

    /// <summary>Opens a <c>chat.completion</c> object up to the inside of its <c>choices</c> array (an answer with several choices).</summary>
    public static void CompletionHead(Utf8JsonWriter writer, ulong salt, long created, ReadOnlySpan<byte> modelRaw)
    {
        Span<byte> id = stackalloc byte[IdBytes];
        writer.WriteStartObject();
        writer.WriteString("id"u8, id[..CompletionId(id, salt)]);
        writer.WriteString("object"u8, "chat.completion"u8);
        writer.WriteNumber("created"u8, created);
        WriteModel(writer, modelRaw);
        writer.WriteStartArray("choices"u8);
    }

    /// <summary>Opens one choice with its <paramref name="index"/> up to the inside of its message (the role written).</summary>
    public static void ChoiceStart(Utf8JsonWriter writer, int index)
    {
        writer.WriteStartObject();
        writer.WriteNumber("index"u8, index);
        writer.WriteStartObject("message"u8);
        writer.WriteString("role"u8, "assistant"u8);
    }

    /// <summary>Closes a choice's message and the choice with its finish reason.</summary>
    public static void ChoiceEnd(Utf8JsonWriter writer, ReadOnlySpan<byte> finishReason)
    {
        writer.WriteEndObject();
        writer.WriteString("finish_reason"u8, finishReason);
        writer.WriteEndObject();
    }

    /// <summary>Closes <c>choices</c>, writes <see cref="Usage"/> when the provider reported it (once, for every choice), and closes the object.</summary>
    public static void CompletionTail(Utf8JsonWriter writer, in TokenUsage usage)
    {
        writer.WriteEndArray();
        if (usage.Reported)
        {
            Usage(writer, usage);
        }
        writer.WriteEndObject();
    }

    /// <summary>One element of an OpenAI embeddings list's <c>data</c>: <paramref name="vector"/> is the JSON array of numbers.</summary>
    public static void EmbeddingItem(Utf8JsonWriter writer, int index, ReadOnlySpan<byte> vector)
    {
        writer.WriteStartObject();
        writer.WriteString("object"u8, "embedding"u8);
        writer.WriteNumber("index"u8, index);
        writer.WritePropertyName("embedding"u8);
        writer.WriteRawValue(vector, skipInputValidation: true);
        writer.WriteEndObject();
    }

    /// <summary>Opens a <c>chat.completion.chunk</c> up to the inside of its one choice's <c>delta</c>; the choice is <paramref name="choice"/> (0 but for an answer with several).</summary>
    public static void ChunkStart(Utf8JsonWriter writer, ulong salt, long created, ReadOnlySpan<byte> modelRaw, int choice = 0)
    {
        ChunkHead(writer, salt, created, modelRaw);
        ChunkDeltaStart(writer, choice);
    }

    /// <summary>After a chunk's head (id, object, created, model): its one choice up to the inside of <c>delta</c>.</summary>
    public static void ChunkDeltaStart(Utf8JsonWriter writer, int choice = 0)
    {
        writer.WriteStartArray("choices"u8);
        writer.WriteStartObject();
        writer.WriteNumber("index"u8, choice);
        writer.WriteStartObject("delta"u8);
    }

    /// <summary>Closes the delta, writes the finish reason (null when empty) and closes the chunk.</summary>
    public static void ChunkEnd(Utf8JsonWriter writer, ReadOnlySpan<byte> finishReason)
    {
        writer.WriteEndObject();
        if (finishReason.IsEmpty)
        {
            writer.WriteNull("finish_reason"u8);
        }
        else
        {
            writer.WriteString("finish_reason"u8, finishReason);
        }
        writer.WriteEndObject();
        writer.WriteEndArray();
        writer.WriteEndObject();
    }

    /// <summary>The usage-only chunk that ends an OpenAI stream asked for usage: empty <c>choices</c> and <c>usage</c>.</summary>
    public static void UsageChunk(Utf8JsonWriter writer, ulong salt, long created, ReadOnlySpan<byte> modelRaw, in TokenUsage usage)
    {
        ChunkHead(writer, salt, created, modelRaw);
        UsageChunkEnd(writer, usage);
    }

    /// <summary>After a chunk's head: the empty <c>choices</c> and <c>usage</c> of the usage-only chunk, and its end.</summary>
    public static void UsageChunkEnd(Utf8JsonWriter writer, in TokenUsage usage)
    {
        writer.WriteStartArray("choices"u8);
        writer.WriteEndArray();
        Usage(writer, usage);
        writer.WriteEndObject();
    }

    /// <summary>A <c>usage</c> property in OpenAI's shape, cached and reasoning tokens in their details.</summary>
    public static void Usage(Utf8JsonWriter writer, in TokenUsage usage)
    {
        writer.WriteStartObject("usage"u8);
        writer.WriteNumber("prompt_tokens"u8, usage.Input);
        writer.WriteNumber("completion_tokens"u8, usage.Output);
        writer.WriteNumber("total_tokens"u8, usage.Input + usage.Output);
        writer.WriteStartObject("prompt_tokens_details"u8);
        writer.WriteNumber("cached_tokens"u8, usage.CachedInput);
        writer.WriteEndObject();
        writer.WriteStartObject("completion_tokens_details"u8);
        writer.WriteNumber("reasoning_tokens"u8, usage.Reasoning);
        writer.WriteEndObject();
        writer.WriteEndObject();
    }

    /// <summary>
    /// One element of <c>tool_calls</c> (in a message, or a chunk's delta with its index):
    /// <paramref name="argumentsJson"/> is the arguments object's JSON text, written as the string OpenAI carries.
    /// </summary>
    public static void ToolCall(Utf8JsonWriter writer, int index, bool withIndex, ulong salt, ReadOnlySpan<byte> nameRaw, ReadOnlySpan<byte> argumentsJson)
        => ToolCall(writer, index, withIndex, salt, index, nameRaw, argumentsJson);

    /// <summary>
    /// As above, the id numbered <paramref name="idNumber"/>: in an answer with several choices each
    /// choice numbers its calls from 0 (<paramref name="index"/>) while ids stay unique across choices.
    /// </summary>
    public static void ToolCall(Utf8JsonWriter writer, int index, bool withIndex, ulong salt, int idNumber, ReadOnlySpan<byte> nameRaw, ReadOnlySpan<byte> argumentsJson)
    {
        Span<byte> id = stackalloc byte[IdBytes];
        writer.WriteStartObject();
        if (withIndex)
        {
            writer.WriteNumber("index"u8, index);
        }
        writer.WriteString("id"u8, id[..ToolCallId(id, salt, idNumber)]);
        writer.WriteString("type"u8, "function"u8);
        writer.WriteStartObject("function"u8);
        writer.WritePropertyName("name"u8);
        writer.WriteRawValue(nameRaw, skipInputValidation: true);
        writer.WriteString("arguments"u8, argumentsJson.IsEmpty ? "{}"u8 : argumentsJson);
        writer.WriteEndObject();
        writer.WriteEndObject();
    }

    private static void ChunkHead(Utf8JsonWriter writer, ulong salt, long created, ReadOnlySpan<byte> modelRaw)
    {
        Span<byte> id = stackalloc byte[IdBytes];
        writer.WriteStartObject();
        writer.WriteString("id"u8, id[..CompletionId(id, salt)]);
        writer.WriteString("object"u8, "chat.completion.chunk"u8);
        writer.WriteNumber("created"u8, created);
        WriteModel(writer, modelRaw);
    }

    /// <summary><paramref name="modelRaw"/> is a JSON string as the provider sent it; empty when it named none.</summary>
    private static void WriteModel(Utf8JsonWriter writer, ReadOnlySpan<byte> modelRaw)
    {
        writer.WritePropertyName("model"u8);
        if (modelRaw.Length >= 2 && modelRaw[0] == (byte)'"')
        {
            writer.WriteRawValue(modelRaw, skipInputValidation: true);
        }
        else
        {
            writer.WriteStringValue(""u8);
        }
    }
}
