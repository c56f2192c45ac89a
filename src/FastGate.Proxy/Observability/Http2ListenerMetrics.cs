using FastGate.Proxy.Forwarding.Http2;

namespace FastGate.Proxy.Observability;

/// <summary>One listener's HTTP/2 counters (atomics; any thread).</summary>
public sealed class Http2ListenerMetrics
{
    private readonly long[] _defenses = new long[Enum.GetValues<Http2DefenseKind>().Length];
    private long _open;
    private long _streams;

    public long OpenConnections => Interlocked.Read(ref _open);
    public long Streams => Interlocked.Read(ref _streams);

    public long Defenses(int kind) => Interlocked.Read(ref _defenses[kind]);

    public long Defenses(Http2DefenseKind kind) => Defenses((int)kind);

    public void ConnectionOpened() => Interlocked.Increment(ref _open);

    public void ConnectionClosed() => Interlocked.Decrement(ref _open);

    public void StreamOpened() => Interlocked.Increment(ref _streams);

    public void Defense(Http2DefenseKind kind) => Interlocked.Increment(ref _defenses[(int)kind]);
}
