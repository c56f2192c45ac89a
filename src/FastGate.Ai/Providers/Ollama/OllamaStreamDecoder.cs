using System.Text.Json;
using FastGate.Ai.Json;
using FastGate.Ai.Providers.Pivot;

namespace FastGate.Ai.Providers.Ollama;

/// <summary>
/// Ollama's streamed <c>/api/chat</c> answer (one JSON object per line) as pivot chunks:
/// <code>
/// first line                       -> a role chunk, then as below
/// message.content (not empty)      -> a content chunk
/// message.tool_calls[]             -> one tool_call chunk per call, whole arguments
/// done: true                       -> a finish chunk (done_reason), a usage-only chunk
///                                     (prompt_eval_count, eval_count) and Done
/// {"error": "..."}                 -> Error
/// </code>
/// The stage hands over one line at a time without its line break. Nothing is allocated per line.
/// Not thread-safe: one exchange's loop owns it.
/// </summary>
public sealed class OllamaStreamDecoder : ProviderStreamDecoder
{
    private readonly PivotChunkEmitter _emit = new();
    private bool _ended;

    public override void Reset(in RequestFacts facts)
    {
        _emit.Reset();
        _ended = false;
    }

    public override bool OnEvent(ReadOnlySpan<byte> eventType, ReadOnlySpan<byte> data, IPivotStreamSink sink, ref TokenUsage usage)
    {
        if (_ended || data.Trim(" \t\r\n"u8).IsEmpty)
        {
            return true;
        }
        try
        {
            var line = OllamaResponse.Scan(data);
            if (line.Error.Exists)
            {
                _ended = true;
                sink.Error(OllamaErrors.FromError(line.Error, 0));
                return true;
            }
            _emit.SetModel(line.Model);
            _emit.StartStream(sink);
            if (line.Content.IsString && !line.Content.IsEmptyStringOrArray)
            {
                _emit.Content(line.Content, sink);
            }
            if (line.ToolCalls.IsArray)
            {
                var reader = line.ToolCalls.Reader();
                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                {
                    var call = OllamaToolCall.Scan(RawJson.Capture(ref reader, line.ToolCalls.Bytes));
                    _emit.ToolCall(call.Name.Bytes, call.ArgumentsJson, sink);
                }
            }
            if (line.Done)
            {
                _ended = true;
                line.ReadUsage(ref usage);
                _emit.FinishStream(line.FinishReason(_emit.ToolCalls > 0), usage, sink);
            }
            return true;
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or ArgumentException or FormatException)
        {
            return false;
        }
    }
}
