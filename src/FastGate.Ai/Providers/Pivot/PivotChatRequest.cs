using System.Text.Json;
using FastGate.Ai.Json;

namespace FastGate.Ai.Providers.Pivot;

/// <summary>
/// The fields of a pivot request (an OpenAI Chat Completions body) that a translation to a
/// provider's own shape reads, found in one pass. Fields the provider has no use for are skipped.
/// </summary>
internal ref struct PivotChatRequest
{
    public RawJson Messages;
    public RawJson Tools;
    public RawJson ToolChoice;
    public RawJson MaxTokens;
    public RawJson MaxCompletionTokens;
    public RawJson Temperature;
    public RawJson TopP;
    public RawJson Stop;
    public RawJson Seed;
    public RawJson PresencePenalty;
    public RawJson FrequencyPenalty;
    public RawJson ResponseFormat;
    /// <summary><c>n</c>: how many choices (Gemini's <c>candidateCount</c>).</summary>
    public RawJson Choices;
    /// <summary>Embeddings: <c>input</c> and <c>dimensions</c>.</summary>
    public RawJson Input;
    public RawJson Dimensions;

    /// <summary>The output budget: <c>max_completion_tokens</c>, else the older <c>max_tokens</c>.</summary>
    public readonly RawJson OutputLimit => MaxCompletionTokens.IsNumber ? MaxCompletionTokens : MaxTokens;

    /// <summary>Reads the top level of <paramref name="pivot"/>; throws <see cref="JsonException"/> when it is not a JSON object.</summary>
    public static PivotChatRequest Scan(ReadOnlySpan<byte> pivot)
    {
        var fields = new PivotChatRequest();
        var reader = new Utf8JsonReader(pivot);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            throw new JsonException("the request is not a JSON object");
        }
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("messages"u8)) fields.Messages = RawJson.CaptureProperty(ref reader, pivot);
            else if (reader.ValueTextEquals("tools"u8)) fields.Tools = RawJson.CaptureProperty(ref reader, pivot);
            else if (reader.ValueTextEquals("tool_choice"u8)) fields.ToolChoice = RawJson.CaptureProperty(ref reader, pivot);
            else if (reader.ValueTextEquals("max_tokens"u8)) fields.MaxTokens = RawJson.CaptureProperty(ref reader, pivot);
            else if (reader.ValueTextEquals("max_completion_tokens"u8)) fields.MaxCompletionTokens = RawJson.CaptureProperty(ref reader, pivot);
            else if (reader.ValueTextEquals("temperature"u8)) fields.Temperature = RawJson.CaptureProperty(ref reader, pivot);
            else if (reader.ValueTextEquals("top_p"u8)) fields.TopP = RawJson.CaptureProperty(ref reader, pivot);
            else if (reader.ValueTextEquals("stop"u8)) fields.Stop = RawJson.CaptureProperty(ref reader, pivot);
            else if (reader.ValueTextEquals("seed"u8)) fields.Seed = RawJson.CaptureProperty(ref reader, pivot);
            else if (reader.ValueTextEquals("presence_penalty"u8)) fields.PresencePenalty = RawJson.CaptureProperty(ref reader, pivot);
            else if (reader.ValueTextEquals("frequency_penalty"u8)) fields.FrequencyPenalty = RawJson.CaptureProperty(ref reader, pivot);
            else if (reader.ValueTextEquals("response_format"u8)) fields.ResponseFormat = RawJson.CaptureProperty(ref reader, pivot);
            else if (reader.ValueTextEquals("n"u8)) fields.Choices = RawJson.CaptureProperty(ref reader, pivot);
            else if (reader.ValueTextEquals("input"u8)) fields.Input = RawJson.CaptureProperty(ref reader, pivot);
            else if (reader.ValueTextEquals("dimensions"u8)) fields.Dimensions = RawJson.CaptureProperty(ref reader, pivot);
            else RawJson.SkipProperty(ref reader);
        }
        RawJson.ExpectEnd(ref reader);
        return fields;
    }
}
