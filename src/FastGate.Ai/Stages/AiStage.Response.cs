using FastGate.Ai.Providers;
using FastGate.Ai.Providers.OpenAi;
using FastGate.Core.Buffers;
using FastGate.Core.Http;
using FastGate.Core.Sse;
using FastGate.Proxy.Config;
using FastGate.Proxy.Forwarding;
using FastGate.Proxy.Stages;

namespace FastGate.Ai.Stages;

// The response side: fallback on the head, whole answers held and translated, streams translated
// event by event (or line by line for NDJSON), and an error event when a stream is cut.
public sealed partial class AiStage
{
    public override StageOutcome OnResponseHead(Exchange exchange)
    {
        if (State(exchange) is not { Model: not null } state)
        {
            return StageOutcome.Continue;
        }
        var response = exchange.Response!;
        var status = response.StatusCode;
        var target = state.CurrentTarget;
        var headers = exchange.ResponseHeaders;
        if (status is < 200 or >= 300)
        {
            _services.Usage.ProviderError(target.Provider.Name, target.Model, status);
            if ((status == 429 || status >= 500) && TryFallBack(exchange, state, status))
            {
                return StageOutcome.Retry;
            }
            // The last target's error, in the client protocol's shape, once its body is in.
            state.Mode = AiResponseMode.Error;
            headers.Set("content-type"u8, "application/json"u8);
            exchange.HoldResponseHead();
            return StageOutcome.Continue;
        }
        // What the provider said about its own encoding and length no longer holds after translation.
        headers.Remove("content-encoding"u8);
        if (!state.Facts.Stream)
        {
            state.Mode = AiResponseMode.Body;
            headers.Set("content-type"u8, "application/json"u8);
            // Until the whole answer is read, a broken one can still be told with a 502.
            exchange.HoldResponseHead();
            return StageOutcome.Continue;
        }

        var adapter = target.Provider.Adapter;
        state.Decoder = state.DecoderFor(adapter);
        state.Decoder.Reset(state.Facts);
        state.Encoder = state.EncoderFor(state.Front);
        state.Encoder.Reset(state.Facts);
        state.Usage = default;
        state.OutputText.Clear();
        state.UnreadChunks.Clear();
        state.UnreadChunksDue = 0;
        if (adapter.StreamFraming == StreamFraming.NdJson)
        {
            state.Mode = AiResponseMode.NdJsonStream;
        }
        else
        {
            state.Mode = PassesThrough(state.Api, adapter.Kind) ? AiResponseMode.SsePassThrough : AiResponseMode.SseStream;
        }
        headers.Set("content-type"u8, "text/event-stream"u8);
        headers.Set("cache-control"u8, "no-cache"u8);
        return StageOutcome.Continue;
    }

    /// <summary>
    /// An OpenAI chat client talking to an OpenAI-kind provider, or any /v1/responses stream,
    /// gets the provider's events as they are (only the usage chunk it did not ask for is dropped).
    /// </summary>
    private static bool PassesThrough(ClientApi api, ProviderKind kind) =>
        api == ClientApi.OpenAiResponses
        || (api == ClientApi.OpenAiChat && kind is ProviderKind.OpenAi or ProviderKind.OpenAiCompatible or ProviderKind.AzureOpenAi);

    public override BodyVerdict OnResponseBody(Exchange exchange, ReadOnlySpan<byte> data, bool endOfBody)
    {
        if (State(exchange) is not { } state)
        {
            return BodyVerdict.Continue;
        }
        switch (state.Mode)
        {
            case AiResponseMode.Body:
            case AiResponseMode.Error:
                if (!endOfBody)
                {
                    // Held whole: a JSON answer is translated once it is all here.
                    return BodyVerdict.Hold(data.Length);
                }
                WriteWholeAnswer(exchange, state, data, exchange.Replacement);
                return BodyVerdict.Replace;
            case AiResponseMode.NdJsonStream:
                return OnNdJson(exchange, state, data, endOfBody);
            default:
                return BodyVerdict.Continue;
        }
    }

    private void WriteWholeAnswer(Exchange exchange, AiExchangeState state, ReadOnlySpan<byte> body, PooledByteBuffer output)
    {
        var target = state.CurrentTarget;
        var adapter = target.Provider.Adapter;
        if (state.Mode == AiResponseMode.Error)
        {
            var error = adapter.ReadError(exchange.Response!.StatusCode, body);
            state.Failed = true;
            exchange.SetResponseStatus(error.Status);
            state.Front.WriteError(error, output);
            return;
        }
        state.Scratch.Clear();
        if (!adapter.TryReadResponse(state.UpstreamApi, body, state.Scratch, ref state.Usage, out var readError))
        {
            _services.Usage.ProviderError(target.Provider.Name, target.Model, exchange.Response!.StatusCode);
            state.Failed = true;
            if (!exchange.SetResponseStatus(readError.Status is >= 400 and <= 599 ? readError.Status : 502))
            {
                state.RecordStatus = 502;
            }
            state.Front.WriteError(readError, output);
            return;
        }
        OutputTextScan.Append(state.Scratch.WrittenSpan, state.OutputText);
        state.Front.WriteResponse(state.Scratch.WrittenSpan, state.Usage, state.Facts, output);
    }

    public override BodyVerdict OnResponseEvent(Exchange exchange, SseEvent sseEvent)
    {
        if (State(exchange) is not { } state || state.Mode is not (AiResponseMode.SseStream or AiResponseMode.SsePassThrough))
        {
            return BodyVerdict.Continue;
        }
        if (sseEvent.IsCommentOnly)
        {
            // Keep-alives keep proxies and SDKs patient; they carry nothing to translate.
            return BodyVerdict.Continue;
        }
        var output = exchange.Replacement;
        if (state.Failed || state.StreamDone && state.Mode == AiResponseMode.SseStream)
        {
            // After an error or the end, nothing more reaches the client.
            return BodyVerdict.Replace;
        }
        if (state.Mode == AiResponseMode.SsePassThrough && state.Api == ClientApi.OpenAiChat && KeepUnread(state, sseEvent.Data))
        {
            return BodyVerdict.Continue;
        }
        state.Output = output;
        var ok = state.Decoder!.OnEvent(sseEvent.EventType, sseEvent.Data, state, ref state.Usage);
        state.Output = null;
        if (!ok)
        {
            FailStream(state, output, "the provider sent an event that is not valid");
            return BodyVerdict.Replace;
        }
        if (state.Mode == AiResponseMode.SseStream)
        {
            return BodyVerdict.Replace;
        }
        // Passed through; only a usage chunk the client did not ask for is dropped.
        return !state.Facts.ClientWantsUsage && state.Api == ClientApi.OpenAiChat && IsUsageOnlyChunk(state, sseEvent.Data)
            ? BodyVerdict.Replace
            : BodyVerdict.Continue;
    }

    /// <summary>
    /// The pass-through fast path over a whole read: events that are one <c>data:</c> line holding
    /// a chunk <see cref="KeepUnread"/> keeps are taken from the raw bytes, with exactly its effect,
    /// so that the proxy neither parses them nor calls <see cref="OnResponseEvent"/> for each (that
    /// parse and call were about as much of the AI route's cost per event as the stage's own work,
    /// perf on the ai-stream bench). Stops at the first event of any other shape (a usage or error
    /// chunk, [DONE], a named event, a comment, several data lines), which then goes one by one.
    /// Each line is scanned once (its end and what it names together), and the run taken is kept
    /// as it came, <c>data:</c> lines and all, in one copy at the end of the read, if at all
    /// (<see cref="OnResponseEventsTaken"/>): a copy and a reservation per event were a measured
    /// share of the route's work (perf, ai-stream c=64).
    /// </summary>
    public override int OnResponseEventsWhole(Exchange exchange, ReadOnlySpan<byte> events)
    {
        if (State(exchange) is not { Mode: AiResponseMode.SsePassThrough, Api: ClientApi.OpenAiChat, Failed: false } state)
        {
            return 0;
        }
        var room = MaxUnreadChunkBytes - state.UnreadChunks.Length - state.UnreadChunksDue;
        var taken = 0;
        while (taken < events.Length)
        {
            var rest = events[taken..];
            if (!rest.StartsWith("data:"u8))
            {
                break;
            }
            // One space after the colon is syntax (the SSE reader drops it too).
            var start = rest.Length > 5 && rest[5] == (byte)' ' ? 6 : 5;
            if (start >= rest.Length || rest[start] != (byte)'{')
            {
                break;
            }
            var lineEnd = OpenAiChunkScan.PlainLineLength(rest[start..]);
            var end = start + lineEnd + 1;
            // The event's one line must be followed by its blank line: a second data line would join it.
            if (lineEnd < 0 || end >= rest.Length || rest[end] != (byte)'\n' || taken + end + 1 > room)
            {
                break;
            }
            taken += end + 1;
        }
        // Kept once the rest of the read was passed, and only if no usage came in it
        // (OnResponseEventsTaken): the usage chunk usually follows in the same read.
        state.UnreadChunksDue += taken;
        return taken;
    }

    /// <summary>
    /// A run <see cref="OnResponseEventsWhole"/> took, back at the end of its read: kept for an
    /// estimate unless the provider has reported the usage by now, which makes any estimate moot.
    /// </summary>
    public override void OnResponseEventsTaken(Exchange exchange, ReadOnlySpan<byte> run)
    {
        if (State(exchange) is not { } state)
        {
            return;
        }
        state.UnreadChunksDue -= run.Length;
        if (!state.Usage.Reported)
        {
            state.UnreadChunks.Write(run);
        }
    }

    /// <summary>
    /// The pass-through fast path: a chunk that names neither a usage nor an error carries nothing
    /// the stage acts on, so it is kept whole (one copy) instead of read as JSON, which is most of
    /// the cost of an event. Its text is read only if the provider ends without reporting usage,
    /// which OpenAI-kind providers do when asked (include_usage is always asked). Past
    /// <see cref="MaxUnreadChunkBytes"/> chunks are read as they pass, so memory stays bounded.
    /// Kept one to a line, bare here and as their <c>data:</c> lines by <see cref="OnResponseEventsWhole"/>
    /// (<see cref="OutputTextScan.AppendKeptChunks"/> reads both).
    /// </summary>
    private static bool KeepUnread(AiExchangeState state, ReadOnlySpan<byte> data)
    {
        if (data.IsEmpty || data[0] != (byte)'{' || state.UnreadChunks.Length + state.UnreadChunksDue + data.Length > MaxUnreadChunkBytes
            || !OpenAiChunkScan.NamesNeitherUsageNorError(data))
        {
            return false;
        }
        // One reservation for the chunk and its separator: this runs for nearly every event.
        var kept = state.UnreadChunks;
        var span = kept.GetSpan(data.Length + 1);
        data.CopyTo(span);
        span[data.Length] = (byte)'\n';
        kept.Advance(data.Length + 1);
        return true;
    }

    private const int MaxUnreadChunkBytes = 64 * 1024;

    /// <summary>
    /// An OpenAI chunk with no choices and a usage: the one include_usage adds before [DONE]. Most
    /// chunks have no "usage" at all; for the others the decoder that just read the chunk for its
    /// usage has told (a second read of the usage chunk was a measured share of the per-request
    /// work once plain chunks were taken whole).
    /// </summary>
    private static bool IsUsageOnlyChunk(AiExchangeState state, ReadOnlySpan<byte> data) =>
        data.IndexOf("\"usage\""u8) >= 0
        && (state.Decoder is OpenAiStreamDecoder decoder ? decoder.LastWasUsageOnly : OpenAiChatStreamEncoder.IsUsageOnly(data));

    /// <summary>Ollama's NDJSON stream: whole lines to the decoder, a partial last line held for the next bytes.</summary>
    private BodyVerdict OnNdJson(Exchange exchange, AiExchangeState state, ReadOnlySpan<byte> data, bool endOfBody)
    {
        var output = exchange.Replacement;
        var consumed = 0;
        while (consumed < data.Length)
        {
            var rest = data[consumed..];
            var newline = rest.IndexOf((byte)'\n');
            if (newline < 0)
            {
                if (!endOfBody)
                {
                    break;
                }
                newline = rest.Length;
            }
            var line = rest[..newline].TrimEnd((byte)'\r');
            consumed += Math.Min(rest.Length, newline + 1);
            if (line.IsEmpty || state.Failed || state.StreamDone)
            {
                continue;
            }
            state.Output = output;
            var ok = state.Decoder!.OnEvent(default, line, state, ref state.Usage);
            state.Output = null;
            if (!ok)
            {
                FailStream(state, output, "the provider sent a line that is not valid");
            }
        }
        return BodyVerdict.ReplaceAndHold(data.Length - consumed);
    }

    /// <summary>The stream cannot go on: the client is told with its protocol's error event.</summary>
    private void FailStream(AiExchangeState state, PooledByteBuffer output, string message)
    {
        var target = state.CurrentTarget;
        _services.Usage.ProviderError(target.Provider.Name, target.Model, 200);
        state.RecordStatus = 502;
        var error = new AiError(502, "api_error", message);
        if (state.Mode == AiResponseMode.SsePassThrough)
        {
            state.Failed = true;
            state.Encoder!.Error(error, output);
            return;
        }
        state.Output = output;
        state.Error(error);
        state.Output = null;
    }

    public override BodyVerdict OnResponseEnd(Exchange exchange, bool complete)
    {
        if (!complete && State(exchange) is { Mode: AiResponseMode.Body or AiResponseMode.Error, Failed: false } whole)
        {
            // A whole answer cut before its end: nothing of it went out, so it is a 502 in the client's shape.
            var target = whole.CurrentTarget;
            _services.Usage.ProviderError(target.Provider.Name, target.Model, exchange.Response!.StatusCode);
            whole.Failed = true;
            if (!exchange.SetResponseStatus(502))
            {
                whole.RecordStatus = 502;
            }
            whole.Front.WriteError(new AiError(502, "api_error", $"the provider '{target.Provider.Name}' closed its answer before its end"), exchange.Replacement);
            return BodyVerdict.Replace;
        }
        if (State(exchange) is not { } state
            || state.Mode is not (AiResponseMode.SseStream or AiResponseMode.SsePassThrough or AiResponseMode.NdJsonStream)
            || state.StreamDone || state.Failed)
        {
            return BodyVerdict.Continue;
        }
        // Ended without the provider's end: an SDK must not take it for a whole answer.
        FailStream(state, exchange.Replacement, complete ? "the provider's stream ended before its end event" : "the provider's stream was cut");
        return BodyVerdict.Replace;
    }

    public override bool TryBeginDrain(Exchange exchange, out TimeSpan timeout)
    {
        timeout = _settings.DrainTimeout;
        if (State(exchange) is not { } state || state.Mode is AiResponseMode.None or AiResponseMode.Error
            || timeout <= TimeSpan.Zero || !_services.TryStartDrain(_settings.MaxDrains))
        {
            return false;
        }
        state.Draining = true;
        return true;
    }

    public override void EndDrain(Exchange exchange)
    {
        if (State(exchange) is { Draining: true } state)
        {
            state.Draining = false;
            _services.EndDrain();
        }
    }
}
