using System.Buffers;
using System.Text.Json;
using FastGate.Ai.Json;

namespace FastGate.Ai.Providers.OpenAi;

/// <summary>
/// Writes pivot chunks as OpenAI's chat stream: each chunk as a <c>data:</c> event, <c>data: [DONE]</c> at the
/// end, <c>data: {"error":{...}}</c> on failure and no <c>[DONE]</c>, so the client never takes a failed stream
/// for a finished one. OpenAI's Python and Node SDKs raise on an event with an error member; the .NET SDK
/// (2.x) reads every event as an update and only fails on the transport, so after this event the response
/// must end abruptly (no last chunk) for it to raise. The usage-only chunk the gateway asked for on the
/// client's behalf is dropped when the client did not ask for it.
/// </summary>
internal sealed class OpenAiChatStreamEncoder : FrontStreamEncoder
{
    private bool _clientWantsUsage;

    public override void Reset(in RequestFacts facts) => _clientWantsUsage = facts.ClientWantsUsage;

    public override void Chunk(ReadOnlySpan<byte> pivotChunk, IBufferWriter<byte> output)
    {
        if (!_clientWantsUsage && IsUsageOnly(pivotChunk))
        {
            return;
        }
        WriteData(pivotChunk, output);
    }

    public override void Done(in TokenUsage usage, IBufferWriter<byte> output) => output.Write("data: [DONE]\n\n"u8);

    public override void Error(in AiError error, IBufferWriter<byte> output)
    {
        output.Write("data: "u8);
        OpenAiErrors.Write(error, output);
        output.Write("\n\n"u8);
    }

    /// <summary>
    /// One data event. A chunk a provider spread over several data lines was joined with LFs by the SSE
    /// reader; it goes out as several data lines again, which the client joins the same way.
    /// </summary>
    internal static void WriteData(ReadOnlySpan<byte> chunk, IBufferWriter<byte> output)
    {
        if (chunk.IndexOfAny((byte)'\r', (byte)'\n') < 0)
        {
            SseWriter.Event(output, default, chunk);
            return;
        }
        while (true)
        {
            var eol = chunk.IndexOfAny((byte)'\r', (byte)'\n');
            output.Write("data: "u8);
            output.Write(eol < 0 ? chunk : chunk[..eol]);
            output.Write("\n"u8);
            if (eol < 0)
            {
                break;
            }
            chunk = chunk[(chunk[eol] == (byte)'\r' && eol + 1 < chunk.Length && chunk[eol + 1] == (byte)'\n' ? eol + 2 : eol + 1)..];
        }
        output.Write("\n"u8);
    }

    /// <summary>
    /// A chunk with an empty choices array and a usage object: the one include_usage adds at the end. Every
    /// other chunk is told apart as soon as its choices are not empty or its usage is null, so the common
    /// content chunk is read only up to its first choice.
    /// </summary>
    internal static bool IsUsageOnly(ReadOnlySpan<byte> chunk)
    {
        var emptyChoices = false;
        var hasUsage = false;
        try
        {
            var reader = new Utf8JsonReader(chunk);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return false;
            }
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("choices"u8))
                {
                    reader.Read();
                    if (reader.TokenType != JsonTokenType.StartArray)
                    {
                        return false;
                    }
                    reader.Read();
                    if (reader.TokenType != JsonTokenType.EndArray)
                    {
                        return false;
                    }
                    emptyChoices = true;
                }
                else if (reader.ValueTextEquals("usage"u8))
                {
                    reader.Read();
                    if (reader.TokenType != JsonTokenType.StartObject)
                    {
                        return false;
                    }
                    hasUsage = true;
                    reader.Skip();
                }
                else
                {
                    reader.Read();
                    reader.Skip();
                }
                if (emptyChoices && hasUsage)
                {
                    return true;
                }
            }
        }
        catch (JsonException)
        {
            return false;
        }
        return false;
    }
}
