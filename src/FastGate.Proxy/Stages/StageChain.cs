using FastGate.Core.Buffers;
using FastGate.Core.Sse;
using FastGate.Proxy.Forwarding;
using FastGate.Proxy.Observability;

namespace FastGate.Proxy.Stages;

/// <summary>
/// A route's stages, compiled when its snapshot is built: one array per phase in route order,
/// slot bases assigned, and the facts the exchange needs up front (buffer the request body or
/// not, body stages or not). Immutable; an exchange keeps the chain it started with.
/// </summary>
public sealed partial class StageChain
{
    public static readonly StageChain Empty = new([]);

    private readonly Stage[] _requestHead;
    private readonly Stage[] _requestBody;
    private readonly Stage[] _upstreamChosen;
    private readonly Stage[] _responseHead;
    private readonly Stage[] _responseBody;
    private readonly Stage[] _responseEvents;
    private readonly Stage[] _complete;

    public StageChain(IReadOnlyList<Stage> stages)
    {
        Stages = stages;
        var slots = 0;
        long bodyLimit = 0;
        foreach (var stage in stages)
        {
            stage.SlotBase = slots;
            slots += stage.SlotCount;
            if ((stage.Phases & StagePhases.RequestBody) != 0)
            {
                // Every body stage must accept the body, so the smallest limit is the chain's.
                bodyLimit = bodyLimit == 0 ? stage.RequestBodyLimit : Math.Min(bodyLimit, stage.RequestBodyLimit);
            }
            ChangesResponseLength |= (stage.Phases & StagePhases.ResponseBody) != 0 && stage.ChangesResponseLength;
        }
        SlotCount = slots;
        RequestBodyLimit = bodyLimit;
        _requestHead = Select(stages, StagePhases.RequestHead);
        _requestBody = Select(stages, StagePhases.RequestBody);
        _upstreamChosen = Select(stages, StagePhases.UpstreamChosen);
        _responseHead = Select(stages, StagePhases.ResponseHead);
        _responseBody = Select(stages, StagePhases.ResponseBody);
        _responseEvents = Select(stages, StagePhases.ResponseEvents);
        _complete = Select(stages, StagePhases.Complete);
        _upstreamFailed = Select(stages, StagePhases.UpstreamFailed);
        (_responseEnd, DrainStage) = SelectEndStages(stages);
    }

    public IReadOnlyList<Stage> Stages { get; }
    public int SlotCount { get; }
    /// <summary>0 when no stage reads the request body, which then streams.</summary>
    public long RequestBodyLimit { get; }
    public bool BuffersRequestBody => _requestBody.Length > 0;
    public bool HasRequestHead => _requestHead.Length > 0;
    public bool HasUpstreamChosen => _upstreamChosen.Length > 0;
    public bool HasResponseHead => _responseHead.Length > 0;
    /// <summary>False keeps the response on the plain copy path.</summary>
    public bool HasResponseBody => _responseBody.Length > 0;
    /// <summary>Stages read a <c>text/event-stream</c> response event by event.</summary>
    public bool HasResponseEvents => _responseEvents.Length > 0;
    public bool ChangesResponseLength { get; }
    public bool HasComplete => _complete.Length > 0;

    /// <summary>
    /// Runs the request-head phase from stage <paramref name="index"/> on. When a stage has not
    /// finished, returns with <paramref name="pending"/> set and <paramref name="index"/> at that
    /// stage: await it, then call <see cref="ResumeRequestHead"/>.
    /// </summary>
    public StageOutcome RunRequestHead(Exchange exchange, ref int index, out ValueTask<StageOutcome> pending)
    {
        var stages = _requestHead;
        for (; index < stages.Length; index++)
        {
            var task = stages[index].OnRequestHeadAsync(exchange);
            if (!task.IsCompleted)
            {
                pending = task;
                return StageOutcome.Continue;
            }
            var outcome = task.Result;
            if (outcome != StageOutcome.Continue)
            {
                pending = default;
                return outcome;
            }
        }
        pending = default;
        return StageOutcome.Continue;
    }

    /// <summary>Takes the result of the stage that was pending at <paramref name="index"/> and runs the rest.</summary>
    public StageOutcome ResumeRequestHead(Exchange exchange, StageOutcome finished, ref int index, out ValueTask<StageOutcome> pending)
    {
        if (finished != StageOutcome.Continue)
        {
            pending = default;
            return finished;
        }
        index++;
        return RunRequestHead(exchange, ref index, out pending);
    }

    /// <summary>
    /// Runs the request-body phase over the buffered body. Returns false when a stage terminated
    /// the exchange. A replacement becomes the body the next stage sees.
    /// </summary>
    public bool RunRequestBody(Exchange exchange)
    {
        foreach (var stage in _requestBody)
        {
            var verdict = stage.OnRequestBody(exchange);
            switch (verdict.Kind)
            {
                case BodyVerdictKind.Replace:
                    exchange.TakeReplacementAsRequestBody();
                    break;
                case BodyVerdictKind.Terminate:
                    return false;
            }
        }
        return true;
    }

    public StageOutcome RunUpstreamChosen(Exchange exchange)
    {
        foreach (var stage in _upstreamChosen)
        {
            var outcome = stage.OnUpstreamChosen(exchange);
            if (outcome != StageOutcome.Continue)
            {
                return outcome;
            }
        }
        return StageOutcome.Continue;
    }

    public StageOutcome RunResponseHead(Exchange exchange)
    {
        foreach (var stage in _responseHead)
        {
            var outcome = stage.OnResponseHead(exchange);
            if (outcome != StageOutcome.Continue)
            {
                return outcome;
            }
        }
        return StageOutcome.Continue;
    }

    /// <summary>
    /// Passes decoded response bytes through the body stages in order; each stage sees what the one
    /// before it let through, and bytes a stage holds back are offered to that stage again with
    /// the next bytes. <paramref name="output"/> is what comes out of the last stage, valid until
    /// the next call. Returns false when a stage terminated.
    /// </summary>
    public bool RunResponseBody(Exchange exchange, ReadOnlySpan<byte> data, bool endOfBody, out ReadOnlySpan<byte> output)
    {
        var stages = _responseBody;
        var scratch = exchange.Scratch;
        if (scratch.Carries.Length < stages.Length)
        {
            Array.Resize(ref scratch.Carries, stages.Length);
        }
        var replacement = scratch.Replacement;
        var current = data;
        // A stage's output that must be copied lands in the pass buffer the bytes it was shown are not in.
        var next = scratch.PassA;
        for (var i = 0; i < stages.Length; i++)
        {
            var carry = scratch.Carries[i] ??= new PooledByteBuffer();
            var carried = carry.Length > 0;
            if (carried)
            {
                carry.Write(current);
                current = carry.WrittenSpan;
            }
            replacement.Clear();
            var verdict = stages[i].OnResponseBody(exchange, current, endOfBody);
            var keep = 0;
            switch (verdict.Kind)
            {
                case BodyVerdictKind.Terminate:
                    output = default;
                    return false;
                case BodyVerdictKind.Continue when !carried:
                    // A stage that only looks passes the very bytes it was shown: no copy.
                    continue;
                case BodyVerdictKind.HoldBack or BodyVerdictKind.Replace when !endOfBody:
                    keep = Math.Min(verdict.HoldBack, current.Length);
                    break;
            }
            next.Clear();
            next.Write(verdict.Kind == BodyVerdictKind.Replace ? replacement.WrittenSpan : current[..^keep]);
            if (carried)
            {
                // current points into the carry: keep its tail, drop the rest.
                carry.Consume(carry.Length - keep);
            }
            else if (keep > 0)
            {
                carry.Write(current[^keep..]);
            }
            current = next.WrittenSpan;
            next = ReferenceEquals(next, scratch.PassA) ? scratch.PassB : scratch.PassA;
        }
        output = current;
        return true;
    }

    /// <summary>
    /// Passes one whole event through the event stages in order. <paramref name="output"/> is the
    /// event's bytes, or the replacement of the stage that replaced it. Returns false when a stage
    /// terminated.
    /// </summary>
    public bool RunResponseEvent(Exchange exchange, SseEvent sseEvent, out ReadOnlySpan<byte> output)
    {
        foreach (var stage in _responseEvents)
        {
            exchange.Replacement.Clear();
            var verdict = stage.OnResponseEvent(exchange, sseEvent);
            switch (verdict.Kind)
            {
                case BodyVerdictKind.Terminate:
                    output = default;
                    return false;
                case BodyVerdictKind.Replace:
                    output = exchange.Replacement.WrittenSpan;
                    return true;
            }
        }
        output = sseEvent.Raw;
        return true;
    }

    /// <summary>
    /// How many bytes of whole events, from the start of <paramref name="events"/>, the route's one
    /// event stage lets through without seeing them one by one (<see cref="Stage.OnResponseEventsWhole"/>).
    /// 0 with several event stages: a later one must see what an earlier one passed.
    /// </summary>
    public int RunResponseEventsWhole(Exchange exchange, ReadOnlySpan<byte> events) =>
        _responseEvents.Length == 1 ? _responseEvents[0].OnResponseEventsWhole(exchange, events) : 0;

    /// <summary>Hands a run that <see cref="RunResponseEventsWhole"/> took back to its stage, once the rest of its read was passed (<see cref="Stage.OnResponseEventsTaken"/>).</summary>
    public void RunResponseEventsTaken(Exchange exchange, ReadOnlySpan<byte> run)
    {
        if (_responseEvents.Length == 1 && !run.IsEmpty)
        {
            _responseEvents[0].OnResponseEventsTaken(exchange, run);
        }
    }

    /// <summary>Every stage's completion, each guarded so one failing stage does not skip the others.</summary>
    public void RunComplete(Exchange exchange, GatewayLog log)
    {
        foreach (var stage in _complete)
        {
            try
            {
                stage.OnComplete(exchange);
            }
            catch (Exception ex)
            {
                log.Error($"stage '{stage.Name}' failed to complete an exchange: {ex.GetType().Name}: {ex.Message}");
            }
        }
    }

    private static Stage[] Select(IReadOnlyList<Stage> stages, StagePhases phase)
    {
        var count = 0;
        foreach (var stage in stages)
        {
            if ((stage.Phases & phase) != 0)
            {
                count++;
            }
        }
        if (count == 0)
        {
            return [];
        }
        var selected = new Stage[count];
        count = 0;
        foreach (var stage in stages)
        {
            if ((stage.Phases & phase) != 0)
            {
                selected[count++] = stage;
            }
        }
        return selected;
    }
}
