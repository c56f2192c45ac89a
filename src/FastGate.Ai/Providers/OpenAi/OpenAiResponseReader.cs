using System.Buffers;
using System.Text.Json;

namespace FastGate.Ai.Providers.OpenAi;

/// <summary>
/// Reads a whole 2xx answer of an OpenAI-kind provider: it already is the pivot (chat) or the client's shape
/// (embeddings, responses), so it is copied as it came once it is known to be a JSON object of the right kind,
/// and its usage is read on the way.
/// </summary>
internal static class OpenAiResponseReader
{
    public static bool TryRead(ClientApi api, ReadOnlySpan<byte> body, IBufferWriter<byte> pivot, ref TokenUsage usage, out AiError error)
    {
        error = default;
        // What marks the answer as the right kind: chat completions have choices, embeddings data, responses output.
        var shapeMember = api switch
        {
            ClientApi.OpenAiEmbeddings => "data"u8,
            ClientApi.OpenAiResponses => "output"u8,
            _ => "choices"u8,
        };
        var hasShape = false;
        string? errorMessage = null;
        var read = usage;
        try
        {
            var reader = new Utf8JsonReader(body);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                error = NotValid("the provider's answer is not a JSON object");
                return false;
            }
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals(shapeMember))
                {
                    reader.Read();
                    hasShape = reader.TokenType == JsonTokenType.StartArray;
                    reader.Skip();
                }
                else if (reader.ValueTextEquals("usage"u8))
                {
                    reader.Read();
                    if (reader.TokenType == JsonTokenType.StartObject)
                    {
                        OpenAiUsage.Read(ref reader, ref read);
                    }
                    else
                    {
                        reader.Skip();
                    }
                }
                else if (reader.ValueTextEquals("error"u8))
                {
                    reader.Read();
                    if (reader.TokenType != JsonTokenType.Null)
                    {
                        OpenAiErrors.ReadErrorValue(ref reader, out var message, out _, out _);
                        errorMessage = message ?? "the provider answered with an error";
                    }
                }
                else
                {
                    reader.Read();
                    reader.Skip();
                }
            }
            if (reader.Read())
            {
                error = NotValid("the provider's answer is not valid JSON");
                return false;
            }
        }
        catch (JsonException)
        {
            error = NotValid("the provider's answer is not valid JSON");
            return false;
        }
        if (!hasShape)
        {
            // Some OpenAI-compatible servers answer 200 with an error object instead of a status.
            error = errorMessage is not null
                ? new AiError(502, "api_error", errorMessage)
                : NotValid(api switch
                {
                    ClientApi.OpenAiEmbeddings => "the provider's answer has no embeddings data",
                    ClientApi.OpenAiResponses => "the provider's answer has no response output",
                    _ => "the provider's answer has no choices",
                });
            return false;
        }
        usage = read;
        pivot.Write(body);
        return true;
    }

    private static AiError NotValid(string message) => new(502, "api_error", message);
}
