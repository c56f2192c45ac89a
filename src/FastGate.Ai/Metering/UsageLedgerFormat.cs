using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.InteropServices;
using System.Text.Json;
using FastGate.Core.Buffers;
using FastGate.Ai.Providers;

namespace FastGate.Ai.Metering;

/// <summary>
/// The ledger file's layout. A 16-byte header: the magic <c>FGLEDGER</c>, the format version
/// (u32 little-endian, 1) and 4 reserved zero bytes. Then frames, each
/// <c>[payload length u32 LE][CRC-32C of the payload u32 LE][payload]</c>, where the payload is
/// one usage record as a UTF-8 JSON object (no newline; see <see cref="UsageRecordWriter"/> for the
/// fields). JSON rather than a packed binary layout: a record is about 400 bytes instead of
/// about 150, which at thousands of AI exchanges a second is still a few MB/s, and in exchange
/// an operator can read the ledger with <c>strings</c> or a ten-line script, a field can be
/// added without a version bump (readers skip names they do not know), and the cost stays an
/// exact decimal. The frame, not the JSON, decides what is intact: a frame whose length runs
/// past the end of the file, whose length is 0 or over <see cref="MaxPayload"/>, or whose
/// checksum does not match is where the valid ledger ends.
/// </summary>
internal static class UsageLedgerFormat
{
    public const int HeaderLength = 16;
    public const int FrameHeaderLength = 8;
    public const uint Version = 1;
    /// <summary>No record comes near this (strings are clipped to <see cref="MaxStringLength"/>); a larger length is damage.</summary>
    public const int MaxPayload = 64 * 1024;
    /// <summary>Characters kept of each string field; a client-chosen model name cannot make a huge record.</summary>
    public const int MaxStringLength = 1024;

    public static ReadOnlySpan<byte> Magic => "FGLEDGER"u8;

    public static void WriteHeader(Span<byte> header)
    {
        Magic.CopyTo(header);
        BinaryPrimitives.WriteUInt32LittleEndian(header[8..], Version);
        BinaryPrimitives.WriteUInt32LittleEndian(header[12..], 0);
    }

    /// <summary>Appends the payload of <paramref name="record"/>'s frame (its JSON, <see cref="UsageRecordWriter"/>) to <paramref name="output"/>.</summary>
    public static void WritePayload(PooledByteBuffer output, in UsageRecord record) => UsageRecordWriter.Write(output, record);

    /// <summary>The header that frames <paramref name="payload"/>: its length and its checksum.</summary>
    public static void WriteFrameHeader(Span<byte> header, ReadOnlySpan<byte> payload)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(header, (uint)payload.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(header[4..], Crc32C(payload));
    }

    /// <summary>Reads a payload back; false when it is not a record (a frame that passed its checksum but holds no JSON object).</summary>
    public static bool TryReadRecord(ReadOnlySpan<byte> payload, out UsageRecord record)
    {
        record = default;
        try
        {
            var reader = new Utf8JsonReader(payload);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return false;
            }
            long unixMs = 0, attempts = 0, status = 0;
            string requestId = "", consumer = "", route = "", provider = "", modelAsked = "", modelUsed = "";
            var api = ClientApi.OpenAiChat;
            var usage = new TokenUsage();
            decimal cost = 0;
            bool stream = false;
            double ttft = 0, duration = 0;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var name = reader.ValueSpan;
                reader.Read();
                switch (name)
                {
                    case var _ when name.SequenceEqual("time_ms"u8): unixMs = reader.GetInt64(); break;
                    case var _ when name.SequenceEqual("request_id"u8): requestId = reader.GetString() ?? ""; break;
                    case var _ when name.SequenceEqual("consumer"u8): consumer = reader.GetString() ?? ""; break;
                    case var _ when name.SequenceEqual("route"u8): route = reader.GetString() ?? ""; break;
                    case var _ when name.SequenceEqual("api"u8): api = ApiOf(reader.ValueSpan); break;
                    case var _ when name.SequenceEqual("provider"u8): provider = reader.GetString() ?? ""; break;
                    case var _ when name.SequenceEqual("model_asked"u8): modelAsked = reader.GetString() ?? ""; break;
                    case var _ when name.SequenceEqual("model_used"u8): modelUsed = reader.GetString() ?? ""; break;
                    case var _ when name.SequenceEqual("input_tokens"u8): usage.Input = reader.GetInt64(); break;
                    case var _ when name.SequenceEqual("output_tokens"u8): usage.Output = reader.GetInt64(); break;
                    case var _ when name.SequenceEqual("cached_input_tokens"u8): usage.CachedInput = reader.GetInt64(); break;
                    case var _ when name.SequenceEqual("cache_write_input_tokens"u8): usage.CacheWriteInput = reader.GetInt64(); break;
                    case var _ when name.SequenceEqual("reasoning_tokens"u8): usage.Reasoning = reader.GetInt64(); break;
                    case var _ when name.SequenceEqual("reported"u8): usage.Reported = reader.GetBoolean(); break;
                    case var _ when name.SequenceEqual("cost_usd"u8): cost = reader.GetDecimal(); break;
                    case var _ when name.SequenceEqual("status"u8): status = reader.GetInt64(); break;
                    case var _ when name.SequenceEqual("stream"u8): stream = reader.GetBoolean(); break;
                    case var _ when name.SequenceEqual("ttft_ms"u8): ttft = reader.GetDouble(); break;
                    case var _ when name.SequenceEqual("duration_ms"u8): duration = reader.GetDouble(); break;
                    case var _ when name.SequenceEqual("attempts"u8): attempts = reader.GetInt64(); break;
                    default: reader.Skip(); break;
                }
            }
            if (reader.TokenType != JsonTokenType.EndObject)
            {
                return false;
            }
            record = new UsageRecord
            {
                UnixMs = unixMs,
                RequestId = requestId,
                Consumer = consumer,
                Route = route,
                Api = api,
                Provider = provider,
                ModelAsked = modelAsked,
                ModelUsed = modelUsed,
                Usage = usage,
                CostUsd = cost,
                Status = (int)status,
                Stream = stream,
                TimeToFirstTokenMs = ttft,
                DurationMs = duration,
                Attempts = (int)attempts,
            };
            return true;
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or FormatException)
        {
            return false;
        }
    }

    public static string ApiName(ClientApi api) => api switch
    {
        ClientApi.OpenAiChat => "openai_chat",
        ClientApi.OpenAiEmbeddings => "openai_embeddings",
        ClientApi.OpenAiResponses => "openai_responses",
        ClientApi.AnthropicMessages => "anthropic_messages",
        ClientApi.AnthropicCountTokens => "anthropic_count_tokens",
        _ => "unknown",
    };

    public static ReadOnlySpan<byte> ApiNameUtf8(ClientApi api) => api switch
    {
        ClientApi.OpenAiChat => "openai_chat"u8,
        ClientApi.OpenAiEmbeddings => "openai_embeddings"u8,
        ClientApi.OpenAiResponses => "openai_responses"u8,
        ClientApi.AnthropicMessages => "anthropic_messages"u8,
        ClientApi.AnthropicCountTokens => "anthropic_count_tokens"u8,
        _ => "unknown"u8,
    };

    private static ClientApi ApiOf(ReadOnlySpan<byte> name) => name switch
    {
        _ when name.SequenceEqual("openai_embeddings"u8) => ClientApi.OpenAiEmbeddings,
        _ when name.SequenceEqual("openai_responses"u8) => ClientApi.OpenAiResponses,
        _ when name.SequenceEqual("anthropic_messages"u8) => ClientApi.AnthropicMessages,
        _ when name.SequenceEqual("anthropic_count_tokens"u8) => ClientApi.AnthropicCountTokens,
        _ => ClientApi.OpenAiChat,
    };

    /// <summary>CRC-32C (Castagnoli), as iSCSI and ext4 use it; the CPU's crc32 instruction where there is one.</summary>
    public static uint Crc32C(ReadOnlySpan<byte> data)
    {
        var crc = 0xFFFFFFFFu;
        var words = MemoryMarshal.Cast<byte, ulong>(data);
        foreach (var word in words)
        {
            crc = BitOperations.Crc32C(crc, BitConverter.IsLittleEndian ? word : BinaryPrimitives.ReverseEndianness(word));
        }
        foreach (var b in data[(words.Length * sizeof(ulong))..])
        {
            crc = BitOperations.Crc32C(crc, b);
        }
        return ~crc;
    }
}
