using System.Buffers;
using System.Diagnostics;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using FastGate.Core.Tls;
using FastGate.Core.Transport;
using FastGate.Core.Transport.Epoll;
using FastGate.Proxy.Config;
using FastGate.Proxy.Hosting;
using FastGate.Proxy.LoadBalancing;
using FastGate.Proxy.Observability;
using FastGate.Proxy.Upstreams;

namespace FastGate.Proxy.L4;

/// <summary>
/// One client connection of a tcp or tls-passthrough listener. It reads the ClientHello when the
/// listener routes by SNI (within header_timeout; the bytes stay unconsumed in the client's pipe),
/// picks an endpoint of the cluster and connects (a fresh upstream connection, never pooled: the
/// byte stream is the client's alone), then moves bytes both ways until both directions have
/// ended: on the loop transport with splice(2), socket to socket inside the kernel
/// (<see cref="SpliceRelay"/>), otherwise with a pump per direction. A FIN from one side shuts the other side's sending half once everything before it is
/// out; the other direction keeps flowing until it ends too. No byte either way for idle_timeout,
/// a reset, or a failed write closes both sides at once.
/// <para>
/// On an <see cref="EventLoop"/> the client, the upstream (opened on the caller's loop) and the
/// deadline timer all live on one thread, and every await switches back to it before touching
/// state. On the portable transport the two pumps may run on different threads: what they share
/// is written with atomics, and the heartbeat thread only queues the close to the thread pool.
/// </para>
/// </summary>
public sealed class L4Connection : IHeartbeatTarget, ILoopTimerTarget, IThreadPoolWorkItem, ISpliceRelayOwner
{
    private readonly Gateway _gateway;
    private readonly L4ListenerPlan _plan;
    private readonly ITransport _client;
    private readonly ConnectionListener _listener;
    private readonly EventLoop? _loop;
    // The client's IP (4 or 16 bytes; empty when unknown) and port (-1 when unknown), from the
    // socket or from the PROXY header the listener takes; its hash for hash-based balancing; and
    // the address it connected to (for the PROXY header a cluster sends).
    private byte[] _clientIp;
    private int _clientPort;
    private ulong _clientHash;
    private readonly IPEndPoint? _local;
    private ProxyIntakeResult? _proxyHeader;
    private readonly long _openedAt;
    private readonly long _idleTicks;
    private LoopTimer? _timer;
    private UpstreamConnection? _upstream;
    // On a loop, the relay that moves the bytes inside the kernel instead of the pumps.
    private SpliceRelay? _relay;
    private EndpointState? _endpoint;
    // Stopwatch ticks: when the ClientHello must be whole (0 once it is, or when none is read),
    // and when a byte last moved either way.
    private long _helloDeadline;
    // Where the ClientHello reader stopped; the hello's bytes stay at the start of the client's pipe while it is read.
    private TlsClientHelloScanState _helloScan;
    private long _lastActivity;
    private volatile bool _forwarding;
    private volatile bool _helloTimedOut;
    private volatile bool _idleTimedOut;
    private int _pumps;
    private int _aborted;
    private int _finished;
    private int _transportsClosed;

    /// <param name="clientPort">The peer's port, -1 when the transport does not say.</param>
    /// <param name="local">The address the client connected to, or the listener's (possibly a wildcard) when the kernel does not say.</param>
    /// <summary>The connection's place in its address's count (max_connections_per_client); released at close.</summary>
    internal ClientConnectionCounts.ClientLease? Lease { get; init; }

    public L4Connection(Gateway gateway, L4ListenerPlan plan, ITransport client, ReadOnlySpan<byte> clientIp, int clientPort, IPEndPoint? local, ConnectionListener listener)
    {
        _clientPort = clientPort;
        _local = local;
        _gateway = gateway;
        _plan = plan;
        _client = client;
        _listener = listener;
        _loop = (client as EpollConnection)?.Loop;
        _clientIp = clientIp.ToArray();
        _openedAt = Stopwatch.GetTimestamp();
        _idleTicks = Ticks(plan.Model.Limits.IdleTimeout);
    }

    public int RegistrySlot { get; set; } = -1;

    private bool Aborted => Volatile.Read(ref _aborted) != 0;

    /// <summary>Registers the connection and starts serving it; called where it was accepted (its loop, on the loop transport).</summary>
    public void Start()
    {
        _gateway.Connections.Add(this);
        _gateway.Metrics.ConnectionOpened();
        _plan.Metrics.Opened();
        _ = RunAsync();
    }

    private async Task RunAsync()
    {
        try
        {
            // Each step below reads or writes what comes before the forwarded bytes: who the
            // client is (the PROXY header of a trusted sender, else the socket's peer), which
            // cluster (the SNI name), the upstream connection and the PROXY header it wants;
            // then the pumps take over.
            if (ProxyProtocolIntake.For(_plan.Model) is { } intake && !await ReadProxyHeaderAsync(intake).ConfigureAwait(false))
            {
                return;
            }
            _clientHash = HashClient(_clientIp);
            var cluster = _plan.Router is { } router ? await ReadClientHelloAsync(router).ConfigureAwait(false) : _plan.Cluster;
            if (cluster is null)
            {
                return;
            }
            if (!await ConnectAsync(cluster).ConfigureAwait(false))
            {
                return;
            }
            if (cluster.Model.ProxyProtocol is { } version && !await WriteProxyHeaderAsync(version).ConfigureAwait(false))
            {
                return;
            }
            if (!await SendBufferedAsync().ConfigureAwait(false))
            {
                return;
            }
            StartForwarding();
        }
        catch (Exception ex)
        {
            _gateway.Log.Error($"listener '{_plan.Model.Name}': connection failed: {ex}");
        }
        finally
        {
            if (_loop is not null && !_loop.IsCurrent)
            {
                await _loop.SwitchTo();
            }
            if (!_forwarding)
            {
                Finish();
            }
        }
    }

    /// <summary>
    /// The listener takes a PROXY header (proxy_protocol = true): its source becomes the client.
    /// False when the connection is to be closed (counted by the intake, by outcome).
    /// </summary>
    private async ValueTask<bool> ReadProxyHeaderAsync(ProxyProtocolIntake intake)
    {
        ProxyIntakeResult result;
        try
        {
            result = await intake.ReadAsync(_client, _clientIp, _clientPort, _gateway.Metrics.ProxyProtocol).ConfigureAwait(false);
        }
        catch (Exception)
        {
            result = ProxyIntakeResult.Refused(ProxyIntakeOutcome.Closed);
        }
        if (_loop is not null && !_loop.IsCurrent)
        {
            await _loop.SwitchTo();
        }
        if (!result.Accepted)
        {
            return false;
        }
        _proxyHeader = result;
        _clientIp = result.ClientIp;
        _clientPort = result.ClientPort;
        return true;
    }

    /// <summary>
    /// The cluster wants a PROXY header (proxy_protocol = "v1" | "v2"): it goes out first and at
    /// once, since with a server-speaks-first protocol no client byte may come to carry it.
    /// </summary>
    private async ValueTask<bool> WriteProxyHeaderAsync(FastGate.Core.ProxyProtocol.ProxyVersion version)
    {
        var output = _upstream!.Output;
        if (_proxyHeader is { } received)
        {
            ProxyProtocolSender.WriteHeader(output, version, received, _local);
        }
        else
        {
            Span<byte> localIp = stackalloc byte[16];
            var localLength = _local is not null && _local.Address.TryWriteBytes(localIp, out var written) ? written : 0;
            ProxyProtocolSender.WriteHeader(output, version, _clientIp, _clientPort, localIp[..localLength], _local?.Port ?? 0);
        }
        try
        {
            await output.FlushAsync().ConfigureAwait(false);
        }
        catch (Exception)
        {
            // The upstream reset at once: the client connection closes like after a failed connect.
            Refuse(L4Refusal.ConnectFailed);
            return false;
        }
        if (_loop is not null && !_loop.IsCurrent)
        {
            await _loop.SwitchTo();
        }
        return !Aborted;
    }

    /// <summary>
    /// Reads until the ClientHello is whole and returns the cluster its server name routes to, or
    /// null when the connection was refused (counted). The hello stays in the client's pipe,
    /// unconsumed, and goes upstream untouched before anything after it.
    /// </summary>
    private async ValueTask<Cluster?> ReadClientHelloAsync(SniRouter router)
    {
        _helloDeadline = Stopwatch.GetTimestamp() + Ticks(_plan.Model.Limits.HeaderTimeout);
        ArmTimer(_helloDeadline);
        var input = _client.Input;
        while (true)
        {
            ReadResult result;
            try
            {
                result = await input.ReadAsync().ConfigureAwait(false);
            }
            catch (Exception)
            {
                // Closed by the hello deadline, or reset by the client.
                Refuse(_helloTimedOut ? L4Refusal.HelloTimeout : L4Refusal.HelloIncomplete);
                return null;
            }
            if (_loop is not null && !_loop.IsCurrent)
            {
                await _loop.SwitchTo();
            }
            if (_helloTimedOut || Aborted)
            {
                Refuse(L4Refusal.HelloTimeout);
                return null;
            }
            var buffer = result.Buffer;
            switch (Inspect(buffer, ref _helloScan, router, out var cluster, out var error))
            {
                case TlsClientHelloStatus.Found:
                    // Examined nothing: the next read returns these bytes at once, to be sent upstream first.
                    input.AdvanceTo(buffer.Start, buffer.Start);
                    Volatile.Write(ref _helloDeadline, 0);
                    _timer?.Cancel();
                    return cluster;
                case TlsClientHelloStatus.Invalid:
                    input.AdvanceTo(buffer.End);
                    Refuse(error == TlsClientHelloError.Oversized ? L4Refusal.HelloOversized : L4Refusal.HelloInvalid);
                    if (_gateway.Log.IsEnabled(LogLevel.Debug))
                    {
                        _gateway.Log.Debug($"listener '{_plan.Model.Name}': closed a connection whose first bytes are not a ClientHello it can route ({error})");
                    }
                    return null;
            }
            if (result.IsCompleted || result.IsCanceled)
            {
                input.AdvanceTo(buffer.End);
                Refuse(L4Refusal.HelloIncomplete);
                return null;
            }
            input.AdvanceTo(buffer.Start, buffer.End);
        }
    }

    private static TlsClientHelloStatus Inspect(
        in ReadOnlySequence<byte> buffer, ref TlsClientHelloScanState scan, SniRouter router, out Cluster? cluster, out TlsClientHelloError error)
    {
        Span<byte> name = stackalloc byte[TlsClientHelloReader.MaxServerNameLength];
        var status = TlsClientHelloReader.Read(buffer, ref scan, name, out var length, out error);
        cluster = status == TlsClientHelloStatus.Found ? router.Route(name[..length]) : null;
        return status;
    }

    /// <summary>
    /// Picks an endpoint and connects, trying another endpoint after a failed connect as the
    /// cluster's retry policy allows (retry.attempts tries in all when retry.on has
    /// connect-failure). False when the connection was refused (counted).
    /// </summary>
    private async ValueTask<bool> ConnectAsync(Cluster cluster)
    {
        var retry = cluster.Model.Retry;
        var tries = (retry.On & RetryConditions.ConnectFailure) != 0 ? Math.Max(1, retry.Attempts) : 1;
        EndpointState? avoid = null;
        for (var attempt = 0; attempt < tries; attempt++)
        {
            var endpoint = cluster.Pick(_clientHash, avoid);
            if (endpoint is null)
            {
                Refuse(L4Refusal.NoEndpoint);
                return false;
            }
            // A new upstream connection counts against max_pending and max_connections like any other.
            if (cluster.State.TryStartConnect() != CircuitCap.None)
            {
                Refuse(L4Refusal.CircuitOpen);
                return false;
            }
            endpoint.OnRequestStart();
            UpstreamConnection? upstream = null;
            Exception? fault = null;
            try
            {
                upstream = await endpoint.ConnectAsync(cluster.Model.ConnectTimeout).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                fault = ex;
            }
            finally
            {
                cluster.State.EndConnect();
            }
            if (_loop is not null && !_loop.IsCurrent)
            {
                await _loop.SwitchTo();
            }
            if (upstream is not null)
            {
                _endpoint = endpoint;
                _upstream = upstream;
                if (Aborted)
                {
                    CloseTransports();
                    return false;
                }
                return true;
            }
            endpoint.OnRequestEnd();
            endpoint.OnConnectFailure();
            _plan.Metrics.ConnectFailed();
            _gateway.Metrics.UpstreamError();
            _gateway.Log.UpstreamFailures.Report(null, endpoint.Address, ConnectFailure(fault!), Detail(fault!));
            avoid = endpoint;
        }
        Refuse(L4Refusal.ConnectFailed);
        return false;
    }

    /// <summary>
    /// On a loop, what the client sent that was read before forwarding (the ClientHello the router
    /// read, bytes that came behind a PROXY header) goes upstream now, through the pipes, so that
    /// nothing is left in them and a <see cref="SpliceRelay"/> can take over. False when the
    /// connection is to be closed.
    /// </summary>
    private async ValueTask<bool> SendBufferedAsync()
    {
        var input = _client.Input;
        if (_loop is null || !input.TryRead(out var result))
        {
            return true;
        }
        var buffer = result.Buffer;
        if (buffer.IsEmpty || result.IsCompleted || result.IsCanceled)
        {
            // Examined nothing: the pumps' first read sees the same, end included.
            input.AdvanceTo(buffer.Start, buffer.Start);
            return true;
        }
        var output = _upstream!.Output;
        foreach (var segment in buffer)
        {
            output.Write(segment.Span);
        }
        _plan.Metrics.FromClient(buffer.Length);
        input.AdvanceTo(buffer.End);
        FlushResult flush;
        try
        {
            flush = await output.FlushAsync().ConfigureAwait(false);
        }
        catch (Exception)
        {
            return false;
        }
        if (!_loop.IsCurrent)
        {
            await _loop.SwitchTo();
        }
        return !Aborted && !flush.IsCompleted && !flush.IsCanceled;
    }

    /// <summary>
    /// The upstream is connected: from here both directions run and the last one to end closes the
    /// connection. Two loop connections are spliced (no byte enters user memory); anything else
    /// (the portable transport, a TLS upstream) gets two pumps.
    /// </summary>
    private void StartForwarding()
    {
        var upstream = _upstream!;
        Volatile.Write(ref _lastActivity, Stopwatch.GetTimestamp());
        _forwarding = true;
        ArmTimer(_lastActivity + _idleTicks);
        Volatile.Write(ref _pumps, 2);
        if (SpliceRelay.TryCreate(_client, upstream.Transport, this, out var relay))
        {
            _relay = relay;
            _plan.Metrics.Spliced();
            relay.Start();
            return;
        }
        _ = PumpAsync(_client.Input, upstream.Output, fromClient: true);
        _ = PumpAsync(upstream.Input, _client.Output, fromClient: false);
    }

    void ISpliceRelayOwner.OnForwarded(bool fromFirst, int bytes)
    {
        // The loop's turn time: no clock read per splice, close enough for an idle timeout.
        Volatile.Write(ref _lastActivity, _loop!.Now);
        if (fromFirst)
        {
            _plan.Metrics.FromClient(bytes);
        }
        else
        {
            _plan.Metrics.ToClient(bytes);
        }
    }

    void ISpliceRelayOwner.OnDirectionEnded(bool clean) => DirectionEnded(clean);

    /// <summary>A direction is over (on the loop when there is one); one that did not end with its sender's FIN closes both sides, and the last one finishes.</summary>
    private void DirectionEnded(bool clean)
    {
        if (!clean)
        {
            Abort();
        }
        if (Interlocked.Decrement(ref _pumps) == 0)
        {
            Finish();
        }
    }

    /// <summary>
    /// Copies one direction: each read is written out and flushed before the next read, so a slow
    /// receiver holds back its sender and memory stays at what the pipes hold. The sender's end
    /// (FIN) completes the writer, which shuts the receiving side's sending half after what is
    /// queued; anything else that ends the copy closes the whole connection.
    /// </summary>
    private async Task PumpAsync(PipeReader from, PipeWriter to, bool fromClient)
    {
        var ended = false;
        try
        {
            while (true)
            {
                var result = await from.ReadAsync().ConfigureAwait(false);
                if (_loop is not null && !_loop.IsCurrent)
                {
                    await _loop.SwitchTo();
                }
                if (Aborted)
                {
                    // The transports are closed: nothing may touch them again.
                    break;
                }
                var buffer = result.Buffer;
                var length = buffer.Length;
                if (length > 0)
                {
                    foreach (var segment in buffer)
                    {
                        to.Write(segment.Span);
                    }
                    Volatile.Write(ref _lastActivity, Stopwatch.GetTimestamp());
                    if (fromClient)
                    {
                        _plan.Metrics.FromClient(length);
                    }
                    else
                    {
                        _plan.Metrics.ToClient(length);
                    }
                }
                from.AdvanceTo(buffer.End);
                if (result.IsCanceled)
                {
                    break;
                }
                if (length > 0)
                {
                    var flush = await to.FlushAsync().ConfigureAwait(false);
                    if (_loop is not null && !_loop.IsCurrent)
                    {
                        await _loop.SwitchTo();
                    }
                    if (Aborted || flush.IsCompleted || flush.IsCanceled)
                    {
                        break;
                    }
                }
                if (result.IsCompleted)
                {
                    ended = true;
                    break;
                }
            }
            if (ended)
            {
                to.Complete();
            }
        }
        catch (Exception)
        {
            // A reset, a failed send, or the other pump closing the connection.
            ended = false;
        }
        if (_loop is not null && !_loop.IsCurrent)
        {
            await _loop.SwitchTo();
        }
        // The transports send what is queued before they close (on a loop a flush completes only
        // once everything is out; a socket transport's close waits for its pipe to drain).
        DirectionEnded(ended);
    }


    private void Refuse(L4Refusal reason) => _plan.Metrics.Refused(reason);

    /// <summary>Closes both sides now; the pumps' pending reads and flushes end with it. Idempotent.</summary>
    private void Abort()
    {
        if (Interlocked.Exchange(ref _aborted, 1) != 0)
        {
            return;
        }
        CloseTransports();
    }

    private void CloseTransports()
    {
        if (Interlocked.Exchange(ref _transportsClosed, 1) != 0)
        {
            return;
        }
        Interlocked.Exchange(ref _aborted, 1);
        _upstream?.Dispose();
        _client.Dispose();
        // A relay's directions end with the sockets; those still running count as pumps that ended.
        var stopped = _relay?.Stop() ?? 0;
        if (stopped > 0 && Interlocked.Add(ref _pumps, -stopped) == 0)
        {
            Finish();
        }
    }

    /// <summary>The connection is over: everything it holds and counts is given back, once.</summary>
    private void Finish()
    {
        if (Interlocked.Exchange(ref _finished, 1) != 0)
        {
            return;
        }
        _timer?.Cancel();
        CloseTransports();
        _endpoint?.OnRequestEnd();
        var metrics = _plan.Metrics;
        if (_forwarding)
        {
            metrics.Durations.Record(Stopwatch.GetTimestamp() - _openedAt);
        }
        if (_idleTimedOut)
        {
            metrics.IdleTimedOut();
        }
        metrics.Closed();
        _gateway.Metrics.ConnectionClosed();
        _gateway.Connections.Remove(this);
        Lease?.Release();
        _listener.OnConnectionClosed();
    }

    private void ArmTimer(long due)
    {
        if (_loop is not null)
        {
            (_timer ??= _loop.Timers.Create(this)).Schedule(due);
        }
    }

    /// <summary>Whether a deadline has passed at <paramref name="now"/>; marks which one.</summary>
    private bool Expired(long now, out long nextDue)
    {
        nextDue = 0;
        var helloDeadline = Volatile.Read(ref _helloDeadline);
        if (helloDeadline != 0)
        {
            if (now >= helloDeadline)
            {
                _helloTimedOut = true;
                return true;
            }
            nextDue = helloDeadline;
            return false;
        }
        if (_forwarding)
        {
            var due = Volatile.Read(ref _lastActivity) + _idleTicks;
            if (now >= due)
            {
                _idleTimedOut = true;
                return true;
            }
            nextDue = due;
        }
        return false;
    }

    void ILoopTimerTarget.OnTimer(long now)
    {
        if (Volatile.Read(ref _finished) != 0)
        {
            return;
        }
        if (Expired(now, out var nextDue))
        {
            Abort();
        }
        else if (nextDue != 0)
        {
            // Activity moved the deadline since the timer was set: one timer per connection,
            // rescheduled when it fires rather than on every read.
            _timer!.Schedule(nextDue);
        }
    }

    /// <summary>The portable transport's deadlines; on a loop the loop's timer keeps them.</summary>
    public void OnHeartbeat(long now)
    {
        if (_loop is null && Volatile.Read(ref _finished) == 0 && Expired(now, out _))
        {
            // Never on the heartbeat thread: closing resumes the pumps inline.
            ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
        }
    }

    void IThreadPoolWorkItem.Execute() => Abort();

    /// <summary>
    /// Drain: an L4 connection has no point between exchanges where closing is safe, so it gets
    /// the whole drain_timeout to end on its own and is closed with the process after that.
    /// </summary>
    public void CloseWhenIdle()
    {
    }

    /// <summary>Drain, its timeout expired: a byte tunnel has no boundary to end at, so it is closed now.</summary>
    public void EndStreams()
    {
        if (Volatile.Read(ref _finished) != 0)
        {
            return;
        }
        // Never on the draining thread: closing resumes the pumps inline, which belong to the loop.
        if (_loop is not null)
        {
            _loop.Post(this);
        }
        else
        {
            ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
        }
    }

    /// <summary>The same hash as HTTP connections (of the client's IP as text), so hash policies place a client alike on both.</summary>
    private static ulong HashClient(ReadOnlySpan<byte> ip)
    {
        Span<byte> text = stackalloc byte[64];
        if (ip.Length is 4 or 16 && new IPAddress(ip).TryFormat(text, out var written))
        {
            return StableHash.Hash(text[..written]);
        }
        return StableHash.Hash("unknown"u8);
    }

    private static UpstreamFailure ConnectFailure(Exception fault) => fault switch
    {
        OperationCanceledException => UpstreamFailure.ConnectTimeout,
        SocketException { SocketErrorCode: SocketError.ConnectionRefused } => UpstreamFailure.ConnectRefused,
        SocketException { SocketErrorCode: SocketError.HostNotFound or SocketError.TryAgain or SocketError.NoData } => UpstreamFailure.Unresolvable,
        _ => UpstreamFailure.ConnectFailed,
    };

    private static string Detail(Exception fault) => fault is SocketException socket ? socket.SocketErrorCode.ToString() : fault.GetType().Name;

    private static long Ticks(TimeSpan span) => (long)(span.TotalSeconds * Stopwatch.Frequency);
}
