using System.Text.Json;
using FastGate.Ai.Json;
using FastGate.Ai.Providers.Pivot;

namespace FastGate.Ai.Providers.Gemini;

/// <summary>
/// Gemini's <c>streamGenerateContent?alt=sse</c> events as pivot chunks. Each event's data is a
/// whole <c>GenerateContentResponse</c> holding the next parts of the answer:
/// <code>
/// first event          -> a role chunk (delta.role "assistant"), then as below
/// text part            -> a content chunk
/// functionCall part    -> one tool_call chunk with the whole arguments (Gemini never splits a call)
/// finishReason         -> a finish chunk, a usage-only chunk (when usage came) and Done
/// promptFeedback block -> a content_filter finish, usage, Done
/// {"error": ...}       -> Error
/// </code>
/// <c>usageMetadata</c> may come with any event; the last one counts, and is reported when the
/// finish reason comes. A stream that ends with no finish reason never reaches Done, and the
/// stage reports it as cut (and estimates its tokens). Nothing is allocated per
/// event. Not thread-safe: one exchange's loop owns it.
/// </summary>
public sealed class GeminiStreamDecoder : ProviderStreamDecoder
{
    private readonly PivotChunkEmitter _emit = new();
    private bool _ended;
    private bool _sawUsage;

    public override void Reset(in RequestFacts facts)
    {
        _emit.Reset();
        _ended = false;
        _sawUsage = false;
    }

    public override bool OnEvent(ReadOnlySpan<byte> eventType, ReadOnlySpan<byte> data, IPivotStreamSink sink, ref TokenUsage usage)
    {
        if (_ended || data.Trim(" \t\r\n"u8).IsEmpty)
        {
            return true;
        }
        try
        {
            var response = GeminiResponse.Scan(data);
            if (response.Error.Exists)
            {
                _ended = true;
                sink.Error(GeminiErrors.FromErrorObject(response.Error, 0));
                return true;
            }
            _emit.SetModel(response.ModelVersion);
            _sawUsage |= GeminiUsage.Read(response.UsageMetadata, ref usage);
            _emit.StartStream(sink);
            if (response.Parts.IsArray)
            {
                var reader = response.Parts.Reader();
                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                {
                    var part = GeminiPart.Scan(RawJson.Capture(ref reader, response.Parts.Bytes));
                    if (part.IsFunctionCall)
                    {
                        _emit.ToolCall(part.FunctionName.Bytes, part.FunctionArgs.IsObject ? part.FunctionArgs.Bytes : default, sink);
                    }
                    else if (part.IsAnswerText && !part.Text.IsEmptyStringOrArray)
                    {
                        _emit.Content(part.Text, sink);
                    }
                }
            }
            var blocked = !response.HasCandidate && response.BlockReason.IsString;
            if (GeminiFinishReason.IsPresent(response.FinishReason) || blocked)
            {
                _ended = true;
                usage.Reported = _sawUsage;
                _emit.FinishStream(blocked ? PivotWriter.ContentFilter : GeminiFinishReason.ToPivot(response.FinishReason, _emit.ToolCalls > 0), usage, sink);
            }
            return true;
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or ArgumentException or FormatException)
        {
            return false;
        }
    }
}
