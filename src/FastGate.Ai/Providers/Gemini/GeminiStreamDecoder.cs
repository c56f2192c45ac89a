using System.Text.Json;
using FastGate.Ai.Json;
using FastGate.Ai.Providers.Pivot;

namespace FastGate.Ai.Providers.Gemini;

/// <summary>
/// Gemini's <c>streamGenerateContent?alt=sse</c> events as pivot chunks. Each event's data is a
/// whole <c>GenerateContentResponse</c> holding the next parts of each candidate (one unless the
/// client asked for <c>n</c>, sent as <c>candidateCount</c>):
/// <code>
/// first event          -> a role chunk (delta.role "assistant") per choice asked for, then as below
/// text part            -> a content chunk of the candidate's choice (index = candidate index)
/// functionCall part    -> one tool_call chunk with the whole arguments (Gemini never splits a call)
/// finishReason         -> that choice's finish chunk; once every choice has one, a usage-only
///                         chunk (when usage came) and Done
/// promptFeedback block -> a content_filter finish, usage, Done
/// {"error": ...}       -> Error
/// </code>
/// <c>usageMetadata</c> may come with any event and covers every candidate; the last one counts,
/// and is reported once, when the last choice finishes. A stream that ends before then never
/// reaches Done, and the stage reports it as cut (and estimates its tokens). Nothing is allocated
/// per event. Not thread-safe: one exchange's loop owns it.
/// </summary>
public sealed class GeminiStreamDecoder : ProviderStreamDecoder
{
    private readonly PivotChunkEmitter _emit = new();
    // Per candidate index: its role chunk went out, its tool calls so far, it finished.
    private readonly bool[] _opened = new bool[GeminiCandidate.MaxCandidates];
    private readonly int[] _calls = new int[GeminiCandidate.MaxCandidates];
    private readonly bool[] _finished = new bool[GeminiCandidate.MaxCandidates];
    private int _expected;
    private int _finishedCount;
    private bool _started;
    private bool _ended;
    private bool _sawUsage;

    public override void Reset(in RequestFacts facts)
    {
        _emit.Reset();
        Array.Clear(_opened);
        Array.Clear(_calls);
        Array.Clear(_finished);
        _expected = Math.Clamp(facts.Choices, 1, GeminiCandidate.MaxCandidates);
        _finishedCount = 0;
        _started = false;
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
            if (!_started)
            {
                _started = true;
                for (var choice = 0; choice < _expected; choice++)
                {
                    Open(choice, sink);
                }
            }
            if (response.HasCandidate)
            {
                var candidates = response.Candidates.Reader();
                var position = 0;
                while (GeminiCandidate.Next(ref candidates, response.Candidates, ref position, out var candidate))
                {
                    OnCandidate(candidate, sink);
                }
            }
            else if (response.BlockReason.IsString)
            {
                // The prompt was blocked: no candidate comes, every open choice ends filtered.
                for (var choice = 0; choice < _expected; choice++)
                {
                    Finish(choice, PivotWriter.ContentFilter, sink);
                }
            }
            if (_finishedCount >= _expected)
            {
                _ended = true;
                usage.Reported = _sawUsage;
                _emit.EndStream(usage, sink);
            }
            return true;
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or ArgumentException or FormatException)
        {
            return false;
        }
    }

    private void OnCandidate(in GeminiCandidate candidate, IPivotStreamSink sink)
    {
        var choice = candidate.Index;
        if (_finished[choice])
        {
            return;
        }
        if (choice >= _expected)
        {
            // More candidates than asked for: each is a choice too, and the stream waits for its end.
            _expected = choice + 1;
        }
        Open(choice, sink);
        if (candidate.Parts.IsArray)
        {
            var reader = candidate.Parts.Reader();
            while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
            {
                var part = GeminiPart.Scan(RawJson.Capture(ref reader, candidate.Parts.Bytes));
                if (part.IsFunctionCall)
                {
                    _emit.ChoiceToolCall(choice, _calls[choice]++, part.FunctionName.Bytes, part.FunctionArgs.IsObject ? part.FunctionArgs.Bytes : default, sink);
                }
                else if (part.IsAnswerText && !part.Text.IsEmptyStringOrArray)
                {
                    _emit.ChoiceContent(choice, part.Text, sink);
                }
            }
        }
        if (GeminiFinishReason.IsPresent(candidate.FinishReason))
        {
            Finish(choice, GeminiFinishReason.ToPivot(candidate.FinishReason, _calls[choice] > 0), sink);
        }
    }

    private void Open(int choice, IPivotStreamSink sink)
    {
        if (!_opened[choice])
        {
            _opened[choice] = true;
            _emit.ChoiceStart(choice, sink);
        }
    }

    private void Finish(int choice, ReadOnlySpan<byte> finishReason, IPivotStreamSink sink)
    {
        if (_finished[choice])
        {
            return;
        }
        Open(choice, sink);
        _finished[choice] = true;
        _finishedCount++;
        _emit.ChoiceFinish(choice, finishReason, sink);
    }
}
