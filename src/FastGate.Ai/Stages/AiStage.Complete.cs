using System.Diagnostics;
using FastGate.Ai.Metering;
using FastGate.Ai.Providers;
using FastGate.Proxy.Forwarding;

namespace FastGate.Ai.Stages;

// Completion: the usage of the exchange (reported, or estimated and marked so), its cost, and
// its one usage record.
public sealed partial class AiStage
{
    public override void OnComplete(Exchange exchange)
    {
        if (State(exchange) is not { } state)
        {
            return;
        }
        exchange.Slots[SlotBase] = null;
        try
        {
            if (!state.Recorded)
            {
                state.Recorded = true;
                Record(exchange, state);
            }
        }
        finally
        {
            if (state.Draining)
            {
                state.Draining = false;
                _services.EndDrain();
            }
            state.Return();
        }
    }

    private void Record(Exchange exchange, AiExchangeState state)
    {
        var reached = state.Model is not null && state.Attempts > 0;
        var target = reached ? state.CurrentTarget : null;
        var modelAsked = state.Facts.ModelLength == 0 ? ""
            : state.Model is { } entry && state.ModelAskedUtf8.SequenceEqual(entry.NameUtf8) ? entry.Model.Name
            : _services.AskedNames.Get(state.ModelAskedUtf8);
        var modelUsed = target is null ? "" : target.ModelUtf8 is null ? modelAsked : target.Model;
        var usage = state.Usage;
        if (reached && !usage.Reported && exchange.Response is { StatusCode: >= 200 and < 300 })
        {
            // The provider reported nothing: the tokenizer counts, and the record says it is an estimate.
            var estimator = _services.Estimator;
            OutputTextScan.AppendKeptChunks(state.UnreadChunks.WrittenSpan, state.OutputText);
            usage.Input = estimator.CountPrompt(state.Pivot.WrittenSpan, modelUsed);
            usage.Output = state.OutputText.Length == 0 ? 0 : estimator.CountText(state.OutputText.WrittenSpan, modelUsed);
            usage.Reported = false;
        }
        if (state.Api == ClientApi.AnthropicCountTokens)
        {
            // A count is an answer about tokens, not tokens used: nothing is consumed or billed.
            usage = default;
        }
        exchange.InputTokens = usage.Input;
        exchange.OutputTokens = usage.Output;

        var status = exchange.Status;
        if (state.RecordStatus != 0 && status is >= 200 and < 300)
        {
            // The client got a 200 head, but what followed was the provider failing.
            status = state.RecordStatus;
        }
        else if (state.Mode is AiResponseMode.SseStream or AiResponseMode.SsePassThrough or AiResponseMode.NdJsonStream
            && !state.StreamDone && !state.Failed && status is >= 200 and < 300)
        {
            // Neither the stream's end nor a failure of the provider: the client left first.
            status = 499;
        }
        var now = Stopwatch.GetTimestamp();
        var firstByte = exchange.FirstByteSentTimestamp;
        var requestId = exchange.RequestId;
        requestId.CopyTo(state.RequestId);
        var record = new UsageRecord
        {
            UnixMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(),
            RequestId = "",
            RequestIdUtf8 = state.RequestId.AsMemory(0, requestId.Length),
            Consumer = exchange.Consumer?.Name ?? "",
            Route = _route.Name,
            Api = state.Api,
            Provider = target?.Provider.Name ?? "",
            ModelAsked = modelAsked,
            ModelUsed = modelUsed,
            Usage = usage,
            CostUsd = state.Model is null ? 0 : UsageCost.Of(state.Model.Price, usage),
            Status = status,
            Stream = state.Facts.Stream,
            TimeToFirstTokenMs = firstByte == 0 ? 0 : Stopwatch.GetElapsedTime(exchange.StartTimestamp, firstByte).TotalMilliseconds,
            DurationMs = Stopwatch.GetElapsedTime(exchange.StartTimestamp, now).TotalMilliseconds,
            Attempts = state.Attempts,
        };
        _services.Usage.Record(record);
    }
}
