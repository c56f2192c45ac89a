using FastGate.Core.Sse;
using FastGate.Proxy.Forwarding;
using FastGate.Proxy.Stages;

namespace FastGate.Proxy.Tests.Stages;

/// <summary>A stage whose phases are lambdas, for tests of the chain and the exchange.</summary>
internal sealed class DelegateStage(string name, StagePhases phases) : Stage
{
    public override string Name => name;
    public override StagePhases Phases => phases;
    public int Slots { get; init; }
    public override int SlotCount => Slots;
    public long BodyLimit { get; init; } = 1 << 20;
    public override long RequestBodyLimit => BodyLimit;
    public bool ChangesLength { get; init; }
    public override bool ChangesResponseLength => ChangesLength;

    public Func<Exchange, ValueTask<StageOutcome>>? RequestHead { get; init; }
    public Func<Exchange, BodyVerdict>? RequestBody { get; init; }
    public Func<Exchange, StageOutcome>? UpstreamChosen { get; init; }
    public Func<Exchange, StageOutcome>? ResponseHead { get; init; }
    public ResponseBodyHandler? ResponseBody { get; init; }
    public Action<Exchange>? Complete { get; init; }
    public ResponseEventHandler? ResponseEvent { get; init; }

    public delegate BodyVerdict ResponseEventHandler(Exchange exchange, SseEvent sseEvent);

    public delegate BodyVerdict ResponseBodyHandler(Exchange exchange, ReadOnlySpan<byte> data, bool end);

    public override ValueTask<StageOutcome> OnRequestHeadAsync(Exchange exchange) =>
        RequestHead?.Invoke(exchange) ?? new(StageOutcome.Continue);

    public override BodyVerdict OnRequestBody(Exchange exchange) => RequestBody?.Invoke(exchange) ?? BodyVerdict.Continue;

    public override StageOutcome OnUpstreamChosen(Exchange exchange) => UpstreamChosen?.Invoke(exchange) ?? StageOutcome.Continue;

    public override StageOutcome OnResponseHead(Exchange exchange) => ResponseHead?.Invoke(exchange) ?? StageOutcome.Continue;

    public override BodyVerdict OnResponseBody(Exchange exchange, ReadOnlySpan<byte> data, bool endOfBody) =>
        ResponseBody?.Invoke(exchange, data, endOfBody) ?? BodyVerdict.Continue;

    public override BodyVerdict OnResponseEvent(Exchange exchange, SseEvent sseEvent) =>
        ResponseEvent?.Invoke(exchange, sseEvent) ?? BodyVerdict.Continue;

    public override void OnComplete(Exchange exchange) => Complete?.Invoke(exchange);
}
