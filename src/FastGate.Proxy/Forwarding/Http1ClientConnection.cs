using FastGate.Core.Tls.OpenSsl;
using FastGate.Core.Transport;
using FastGate.Core.Transport.Epoll;
using FastGate.Proxy.Config;
using FastGate.Proxy.Hosting;

namespace FastGate.Proxy.Forwarding;

/// <summary>
/// What a client connection keeps between requests: its transport, its address, its deadline
/// and the snapshot-derived values of its listener. The work of an exchange is done by an
/// <see cref="Http1ProxyConnection"/>. On an event loop that one is bound only while the
/// connection has something to do: an idle keep-alive connection parks on its transport
/// (<see cref="IParkedReader"/>) and gives its <see cref="Http1ProxyConnection"/> back to the
/// loop's pool, so it costs these few fields and its socket, not a state machine and buffers.
/// On the portable transport one stays bound for the connection's whole life.
/// </summary>
public sealed class Http1ClientConnection : IHeartbeatTarget, IThreadPoolWorkItem, ILoopTimerTarget, IParkedReader
{
    // Snapshot-derived values, refreshed when the gateway publishes a new snapshot (public
    // fields: the exchange code updates them in place).
    internal GatewaySnapshot Snapshot = null!;
    internal int ListenerIndex;
    internal LimitsModel Limits = null!;
    // Whether this client may speak for others in X-Forwarded-For (trusted_proxies). Decided when the
    // connection takes up a snapshot, which is once at start and again only after a reload.
    internal bool ClientTrusted;

    // Armed by the exchange code, fired by the loop's timer or the heartbeat.
    internal ConnectionDeadline Deadline;
    private volatile bool _closeWhenIdle;
    private volatile bool _betweenExchanges;
    private volatile bool _endStreams;
    // The address in its three forms, as one shared object: one field where an idle connection
    // kept two arrays and a hash of its own.
    private readonly ClientAddressInfo _address;

    public Http1ClientConnection(ITransport transport, byte[] clientAddress, Gateway gateway, string listenerName, ConnectionListener? listener)
        : this(transport, clientAddress, System.Net.IPAddress.TryParse(clientAddress, out var address) ? address.GetAddressBytes() : [], gateway, listenerName, listener)
    {
    }

    /// <param name="clientAddress">The client's IP as text.</param>
    /// <param name="clientIp">The same IP as 4 or 16 bytes (empty when unknown).</param>
    public Http1ClientConnection(ITransport transport, byte[] clientAddress, byte[] clientIp, Gateway gateway, string listenerName, ConnectionListener? listener)
        : this(transport, new ClientAddressInfo(clientAddress, clientIp), gateway, listenerName, listener)
    {
    }

    /// <param name="client">The client's address, perhaps shared with its other connections.</param>
    public Http1ClientConnection(ITransport transport, ClientAddressInfo client, Gateway gateway, string listenerName, ConnectionListener? listener)
    {
        Transport = transport;
        _address = client;
        Gateway = gateway;
        ListenerName = listenerName;
        Listener = listener;
        Loop = (transport as EpollConnection)?.Loop;
    }

    internal ITransport Transport { get; }
    /// <summary>The TLS session the connection speaks through; null on a plain connection.</summary>
    internal Tls.TlsConnectionInfo? Tls { get; init; }
    internal byte[] ClientAddress => _address.Text;
    /// <summary>The client's IP as 4 or 16 bytes, for address checks; empty when the text is not an address.</summary>
    internal byte[] ClientIp => _address.Ip;
    internal ulong ClientHash => _address.Hash;
    internal Gateway Gateway { get; }
    internal string ListenerName { get; }
    internal ConnectionListener? Listener { get; }
    /// <summary>The connection's place in its address's count (max_connections_per_client); released at close.</summary>
    internal ClientConnectionCounts.ClientLease? Lease
    {
        set => _countedIn = value;
    }

    /// <summary>
    /// The counts that hold this connection under <see cref="ClientIp"/>, instead of a
    /// <see cref="Lease"/>: the address is at hand, so an idle connection keeps no lease object.
    /// </summary>
    internal ClientConnectionCounts? CountedIn
    {
        init => _countedIn = value;
    }

    // A ClientLease or the ClientConnectionCounts that count ClientIp: one field, as an idle
    // connection keeps it.
    private object? _countedIn;
    /// <summary>The loop the connection's work runs on; null off the loops. An HTTP/2 stream's bridge is given its connection's.</summary>
    internal EventLoop? Loop { get; init; }
    internal LoopTimer? Timer { get; private set; }

    /// <summary>The exchange worker bound now; null while the connection is parked.</summary>
    internal Http1ProxyConnection? Worker { get; set; }

    public int RegistrySlot { get; set; } = -1;

    internal bool CloseWhenIdleRequested => _closeWhenIdle;

    /// <summary>The drain timeout expired: a stream in progress ends at its next event boundary.</summary>
    internal bool EndStreamsRequested => _endStreams;

    internal bool BetweenExchanges
    {
        get => _betweenExchanges;
        set => _betweenExchanges = value;
    }

    /// <summary>Gives the connection's place in its address's count back; at close, any number of times.</summary>
    internal void ReleaseCount()
    {
        switch (Interlocked.Exchange(ref _countedIn, null))
        {
            case ClientConnectionCounts.ClientLease lease:
                lease.Release();
                break;
            case ClientConnectionCounts counts:
                counts.Uncount(ClientIp);
                break;
        }
    }

    /// <summary>Registers the connection and gives it a worker from the loop's pool.</summary>
    public void Start()
    {
        Gateway.Connections.Add(this);
        Gateway.Metrics.ConnectionOpened();
        Http1ProxyConnection.Bind(this, fresh: true);
    }

    /// <summary>An HTTP/2 stream's client state, pooled with the stream, begins its next exchange with no request pending from the last.</summary>
    internal void ReuseForHttp2Stream()
    {
        _closeWhenIdle = false;
        _endStreams = false;
        _betweenExchanges = false;
    }

    /// <summary>
    /// Sets the loop's timer for a deadline at <paramref name="at"/>. Rearmed, not moved: a
    /// keep-alive connection arms a later deadline on every request, and a timer left where an
    /// earlier arming put it comes up early, finds the deadline ahead (or disarmed) and moves
    /// once, so a busy connection touches the wheel about once per timeout.
    /// </summary>
    internal void ScheduleTimer(long at) => (Timer ??= Loop!.Timers.Create(this)).Rearm(at);

    /// <summary>Takes the timer off the wheel: the connection is closing, and a disarmed deadline leaves the timer where it was.</summary>
    internal void CancelTimer() => Timer?.Cancel();

    /// <summary>Parks on the loop transport (a socket, or TLS over one) until it is readable; false when bytes may already wait.</summary>
    internal bool TryPark() => Transport switch
    {
        EpollConnection connection => connection.TryPark(this),
        OpenSslLoopTransport tls => tls.TryPark(this),
        _ => false,
    };

    void IParkedReader.OnReadable() => Http1ProxyConnection.Bind(this, fresh: false);

    public void OnHeartbeat(long now)
    {
        // On a loop, the deadline is the loop's timer.
        if (Loop is null && Deadline.TryFire(Deadline.Observe(), now, out _))
        {
            ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
        }
    }

    void ILoopTimerTarget.OnTimer(long now)
    {
        if (Deadline.TryFire(Deadline.Observe(), now, out _))
        {
            Wake();
        }
    }

    public void CloseWhenIdle()
    {
        _closeWhenIdle = true;
        Interlocked.MemoryBarrier();
        if (_betweenExchanges)
        {
            if (Loop is not null)
            {
                Loop.Post(this);
            }
            else
            {
                ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
            }
        }
    }

    /// <summary>
    /// Drain, its timeout expired: a stream in progress ends at its next event boundary (see
    /// Http1ProxyConnection.Streams.cs), on the connection's own loop like every wake.
    /// </summary>
    public void EndStreams()
    {
        _endStreams = true;
        Interlocked.MemoryBarrier();
        if (Loop is not null)
        {
            Loop.Post(this);
        }
        else
        {
            ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
        }
    }

    void IThreadPoolWorkItem.Execute() => Wake();

    /// <summary>
    /// A deadline fired or a drain asks to close: the bound worker cancels what it waits for; a
    /// parked connection is woken with a cancelled read, which its new worker takes as such.
    /// </summary>
    private void Wake()
    {
        var worker = Worker;
        if (worker is not null)
        {
            worker.CancelWaits();
            return;
        }
        try
        {
            Transport.Input.CancelPendingRead();
        }
        catch (Exception)
        {
            // Closed meanwhile: nothing to wake.
        }
    }
}
