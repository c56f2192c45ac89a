using FastGate.Proxy.L4;

namespace FastGate.Proxy.Observability;

/// <summary>
/// The counters of one tcp or tls-passthrough listener, by name; outlives reloads. Recorded with
/// atomics from every loop; bytes are added per read, so a long connection shows up while it lasts.
/// </summary>
public sealed class L4ListenerState(string name)
{
    private long _connections;
    private long _active;
    private long _bytesFromClients;
    private long _bytesToClients;
    private long _connectFailures;
    private long _idleTimeouts;
    private long _spliced;
    private readonly long[] _refusals = new long[Enum.GetValues<L4Refusal>().Length];

    public string Name { get; } = name;

    public long Connections => Interlocked.Read(ref _connections);
    public long Active => Interlocked.Read(ref _active);
    /// <summary>Bytes read from clients and forwarded upstream.</summary>
    public long BytesFromClients => Interlocked.Read(ref _bytesFromClients);
    /// <summary>Bytes read from upstreams and forwarded to clients.</summary>
    public long BytesToClients => Interlocked.Read(ref _bytesToClients);
    /// <summary>Connect attempts that failed (each try of a retry counts).</summary>
    public long ConnectFailures => Interlocked.Read(ref _connectFailures);
    public long IdleTimeouts => Interlocked.Read(ref _idleTimeouts);
    /// <summary>Connections whose bytes moved by splice, socket to socket inside the kernel.</summary>
    public long SplicedConnections => Interlocked.Read(ref _spliced);

    /// <summary>How long forwarded connections lasted, from accept to close.</summary>
    public LatencyHistogram Durations { get; } = new();

    public long Refusals(L4Refusal reason) => Interlocked.Read(ref _refusals[(int)reason]);

    public void Opened()
    {
        Interlocked.Increment(ref _connections);
        Interlocked.Increment(ref _active);
    }

    public void Closed() => Interlocked.Decrement(ref _active);

    public void FromClient(long bytes) => Interlocked.Add(ref _bytesFromClients, bytes);

    public void ToClient(long bytes) => Interlocked.Add(ref _bytesToClients, bytes);

    public void ConnectFailed() => Interlocked.Increment(ref _connectFailures);

    public void IdleTimedOut() => Interlocked.Increment(ref _idleTimeouts);

    public void Spliced() => Interlocked.Increment(ref _spliced);

    public void Refused(L4Refusal reason) => Interlocked.Increment(ref _refusals[(int)reason]);
}
