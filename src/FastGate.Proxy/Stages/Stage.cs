using FastGate.Core.Sse;
using FastGate.Proxy.Forwarding;

namespace FastGate.Proxy.Stages;

/// <summary>
/// The one extension point of an exchange. A stage is built once per config snapshot for the
/// route(s) that use it and is shared by every exchange on them, from many threads at once: it
/// keeps no per-exchange state in its fields. Per-exchange state goes in the exchange's slots
/// (<see cref="Exchange.Slots"/>, <see cref="Exchange.Values"/>), from <see cref="SlotBase"/> on,
/// as many as <see cref="SlotCount"/> asks for; the chain assigns the base when it is compiled.
/// <para>
/// A chain calls a stage only in the phases <see cref="Phases"/> names, in the route's order.
/// Head phases run on the connection's loop between two I/Os and should return synchronously;
/// when one must wait (a remote rate-limit counter), its <see cref="ValueTask{TResult}"/> is
/// awaited by the loop and the chain resumes with the next stage. Body phases are synchronous.
/// An exception thrown by a stage answers 500 (or ends a response already started) and is logged;
/// it never takes down the connection's neighbours.
/// </para>
/// See docs/stages.md for the phases and an example.
/// </summary>
public abstract partial class Stage
{
    /// <summary>The stage's kind, for logs (for example "api_key", "rate_limit").</summary>
    public abstract string Name { get; }

    public abstract StagePhases Phases { get; }

    /// <summary>How many object and value slots each exchange keeps for this stage.</summary>
    public virtual int SlotCount => 0;

    /// <summary>Assigned by the chain: the first of this stage's slots in a route's exchanges.</summary>
    public int SlotBase { get; internal set; }

    /// <summary>
    /// For <see cref="StagePhases.RequestBody"/>: the largest body the stage accepts in full. A bigger
    /// body gets 413 before anything goes upstream.
    /// </summary>
    public virtual long RequestBodyLimit => 0;

    /// <summary>For <see cref="StagePhases.ResponseBody"/>: true when the stage may change the body's length, so it cannot keep a Content-Length.</summary>
    public virtual bool ChangesResponseLength => false;

    public virtual ValueTask<StageOutcome> OnRequestHeadAsync(Exchange exchange) => new(StageOutcome.Continue);

    /// <summary>
    /// The whole request body is in <see cref="Exchange.RequestBody"/>. To replace it, write the new
    /// body to <see cref="Exchange.Replacement"/> and return <see cref="BodyVerdict.Replace"/>.
    /// </summary>
    public virtual BodyVerdict OnRequestBody(Exchange exchange) => BodyVerdict.Continue;

    public virtual StageOutcome OnUpstreamChosen(Exchange exchange) => StageOutcome.Continue;

    public virtual StageOutcome OnResponseHead(Exchange exchange) => StageOutcome.Continue;

    /// <summary>
    /// Body bytes as they pass (framing removed). <paramref name="endOfBody"/> is true on the last
    /// call, possibly with empty <paramref name="data"/>. Bytes held back are offered again at the
    /// start of <paramref name="data"/> on the next call.
    /// </summary>
    public virtual BodyVerdict OnResponseBody(Exchange exchange, ReadOnlySpan<byte> data, bool endOfBody) => BodyVerdict.Continue;

    /// <summary>
    /// One whole event of a <c>text/event-stream</c> response (its exact bytes in
    /// <see cref="SseEvent.Raw"/>, its fields parsed), as it passes. Continue passes the event on
    /// to the next event stage and then the client; <see cref="BodyVerdict.Replace"/> sends what
    /// the stage wrote to <see cref="Exchange.Replacement"/> instead (later event stages do not see
    /// that event); <see cref="BodyVerdict.Terminate"/> cuts the response. Events are never held
    /// back: each reaches the client as soon as its stages passed it.
    /// </summary>
    public virtual BodyVerdict OnResponseEvent(Exchange exchange, SseEvent sseEvent) => BodyVerdict.Continue;

    /// <summary>
    /// Whole events of a <c>text/event-stream</c> response, back to back as received (the last
    /// ended by an LF blank line; an event may have CR line ends, and the stage stops at any event
    /// with a CR, since LF LF alone does not then tell where it ends), offered before they are
    /// passed one by one. Returns how many bytes from the start, ending where an event ends, the
    /// stage lets through as they are: it took from their raw bytes all it would have taken from
    /// <see cref="OnResponseEvent"/>, which it is then not called for. 0, the default, has each
    /// passed one by one. Asked only of a route's one event stage: it saves a parse and a call per
    /// event on a stream a stage only watches.
    /// </summary>
    public virtual int OnResponseEventsWhole(Exchange exchange, ReadOnlySpan<byte> events) => 0;

    /// <summary>
    /// A run of events the stage took in <see cref="OnResponseEventsWhole"/> (its exact bytes),
    /// handed back once the rest of the same read was passed, before those bytes are dropped:
    /// called for every run taken, however the read ended. A stage that needs a run's bytes only
    /// in a case the read's later events may rule out copies them here, if at all (the AI stage
    /// keeps chunks for a usage estimate that a usage chunk in the same read makes needless).
    /// </summary>
    public virtual void OnResponseEventsTaken(Exchange exchange, ReadOnlySpan<byte> run)
    {
    }

    /// <summary>Exactly once per exchange, however it ended (<see cref="Exchange.Status"/>, 499 when the client left).</summary>
    public virtual void OnComplete(Exchange exchange)
    {
    }
}
