using System.Buffers;
using System.Diagnostics;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using FastGate.Core.Http1;
using FastGate.Core.Transport;
using FastGate.Proxy.Hosting;
using FastGate.Proxy.Upstreams;
using Pipelines.Sockets.Unofficial;

namespace FastGate.Proxy.Forwarding;

/// <summary>
/// One downstream HTTP/1.1 connection: reads request heads, forwards each exchange to an
/// upstream and its response back, in order (pipelined requests wait their turn in the pipe).
/// One async loop owns all mutable state here; the heartbeat thread only writes the timeout
/// fields and cancels pending reads/flushes, which pipes allow from any thread.
/// Per-connection objects (this, the head, the pipes) are made once; an exchange allocates
/// nothing in steady state.
/// </summary>
public sealed partial class Http1ProxyConnection : IHeartbeatTarget
{
    private const int MaxResponseHeadBytes = 64 * 1024;

    private readonly Gateway _gateway;
    private readonly ConnectionListener _listener;
    private readonly string _listenerName;
    private readonly SocketConnection _transport;
    private readonly PipeReader _input;
    private readonly PipeWriter _output;
    private readonly Http1RequestHead _request = new();
    private readonly byte[] _clientAddress;

    // Snapshot-derived values, refreshed when the gateway publishes a new snapshot.
    private GatewaySnapshot? _snapshot;
    private int _listenerIndex;

    // Written by the heartbeat thread as well as the loop.
    private long _deadline;
    private TimeoutKind _armed;
    private volatile TimeoutKind _fired;
    private volatile bool _closeWhenIdle;
    private volatile bool _betweenExchanges;
    private UpstreamConnection? _upstream;

    private Http1ChunkedDecoder _chunked;

    public Http1ProxyConnection(Socket socket, ConnectionListener listener, Gateway gateway, string listenerName)
    {
        _gateway = gateway;
        _listener = listener;
        _listenerName = listenerName;
        _clientAddress = FormatAddress(socket.RemoteEndPoint);
        _transport = SocketPipe.Create(socket);
        _input = _transport.Input;
        _output = _transport.Output;
    }

    public int RegistrySlot { get; set; } = -1;

    public void Start()
    {
        _gateway.Connections.Add(this);
        _gateway.Metrics.ConnectionOpened();
        _ = RunAsync();
    }

    private async Task RunAsync()
    {
        try
        {
            while (true)
            {
                var snapshot = _gateway.Current;
                if (!ReferenceEquals(snapshot, _snapshot))
                {
                    _snapshot = snapshot;
                    _listenerIndex = snapshot.ListenerIndex(_listenerName);
                }
                var limits = (snapshot.Listener(_listenerName) ?? throw new InvalidOperationException("listener left the config")).Limits;

                _betweenExchanges = true;
                if (_closeWhenIdle)
                {
                    return;
                }
                Arm(TimeoutKind.KeepAliveIdle, limits.IdleTimeout);
                int headLength;
                while (true)
                {
                    var result = await _input.ReadAsync().ConfigureAwait(false);
                    var buffer = result.Buffer;
                    if (result.IsCanceled)
                    {
                        var fired = _fired;
                        _fired = TimeoutKind.None;
                        if (fired == TimeoutKind.RequestHead)
                        {
                            _gateway.Metrics.Unrouted.Count(408);
                            await WriteLocalAsync(408, close: true).ConfigureAwait(false);
                            return;
                        }
                        if (fired == TimeoutKind.KeepAliveIdle || _closeWhenIdle)
                        {
                            return;
                        }
                        _input.AdvanceTo(buffer.Start);
                        continue;
                    }
                    if (!buffer.IsEmpty && _armed == TimeoutKind.KeepAliveIdle)
                    {
                        _betweenExchanges = false;
                        Arm(TimeoutKind.RequestHead, limits.HeaderTimeout);
                    }
                    if (Http1Parser.TryFindHeadEnd(buffer, limits.MaxHeaderBytes, limits.MaxRequestLineBytes, out headLength, out var error))
                    {
                        CopyHead(buffer, headLength);
                        _input.AdvanceTo(buffer.GetPosition(headLength));
                        break;
                    }
                    if (error != Http1Error.None)
                    {
                        _input.AdvanceTo(buffer.End);
                        _gateway.Metrics.Unrouted.Count(error.ToStatusCode());
                        await WriteLocalAsync(error.ToStatusCode(), close: true).ConfigureAwait(false);
                        return;
                    }
                    if (result.IsCompleted)
                    {
                        // The client closed; an incomplete head gets no answer (nobody reads it).
                        _input.AdvanceTo(buffer.End);
                        return;
                    }
                    _input.AdvanceTo(buffer.Start, buffer.End);
                }
                _betweenExchanges = false;
                Disarm();
                _gateway.Metrics.AddBytesIn(headLength);

                var keepAlive = await ProcessExchangeAsync(snapshot, limits).ConfigureAwait(false);
                ReleaseHead();
                if (!keepAlive)
                {
                    return;
                }
            }
        }
        catch (Exception ex) when (IsConnectionFault(ex))
        {
            // The client went away or the socket failed: nothing to answer.
        }
        catch (Exception ex)
        {
            _gateway.Log.Error($"connection from {System.Text.Encoding.ASCII.GetString(_clientAddress)} failed: {ex}");
        }
        finally
        {
            Close();
        }
    }

    /// <summary>Copies the head out of the pipe into a pooled buffer the parsed ranges point into.</summary>
    private void CopyHead(in ReadOnlySequence<byte> buffer, int headLength)
    {
        _request.Reset();
        var bytes = ArrayPool<byte>.Shared.Rent(headLength);
        buffer.Slice(0, headLength).CopyTo(bytes);
        _request.Buffer = bytes;
        _request.Length = headLength;
    }

    private void ReleaseHead()
    {
        var bytes = _request.Buffer;
        _request.Reset();
        if (bytes.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(bytes);
        }
    }

    private void Arm(TimeoutKind kind, TimeSpan timeout) => Arm(kind, (long)(timeout.TotalSeconds * Stopwatch.Frequency));

    private void Arm(TimeoutKind kind, long ticks)
    {
        _armed = kind;
        Volatile.Write(ref _deadline, Stopwatch.GetTimestamp() + ticks);
    }

    private void Disarm()
    {
        _armed = TimeoutKind.None;
        Volatile.Write(ref _deadline, 0);
    }

    public void OnHeartbeat(long now)
    {
        var deadline = Volatile.Read(ref _deadline);
        if (deadline == 0 || now < deadline)
        {
            return;
        }
        Volatile.Write(ref _deadline, 0);
        var kind = _armed;
        _fired = kind;
        switch (kind)
        {
            case TimeoutKind.KeepAliveIdle:
            case TimeoutKind.RequestHead:
                _input.CancelPendingRead();
                break;
            case TimeoutKind.UpstreamResponse:
                _upstream?.Input.CancelPendingRead();
                break;
            case TimeoutKind.BodyIdle:
                _input.CancelPendingRead();
                _output.CancelPendingFlush();
                var upstream = _upstream;
                if (upstream is not null)
                {
                    upstream.Input.CancelPendingRead();
                    upstream.Output.CancelPendingFlush();
                }
                break;
        }
    }

    public void CloseWhenIdle()
    {
        _closeWhenIdle = true;
        if (_betweenExchanges)
        {
            _input.CancelPendingRead();
        }
    }

    private void Close()
    {
        Disarm();
        ReleaseHead();
        var upstream = Interlocked.Exchange(ref _upstream, null);
        upstream?.Dispose();
        try
        {
            _input.Complete();
            _output.Complete();
        }
        catch (InvalidOperationException)
        {
        }
        _transport.Dispose();
        _gateway.Connections.Remove(this);
        _gateway.Metrics.ConnectionClosed();
        _listener.OnConnectionClosed();
    }

    private static bool IsConnectionFault(Exception ex) =>
        ex is IOException or SocketException or ObjectDisposedException or ConnectionResetException or ConnectionAbortedException
        || (ex is InvalidOperationException && ex.InnerException is IOException or SocketException);

    private static byte[] FormatAddress(EndPoint? endPoint)
    {
        if (endPoint is IPEndPoint ip)
        {
            var address = ip.Address.IsIPv4MappedToIPv6 ? ip.Address.MapToIPv4() : ip.Address;
            Span<byte> text = stackalloc byte[64];
            if (address.TryFormat(text, out var written))
            {
                return text[..written].ToArray();
            }
        }
        return "unknown"u8.ToArray();
    }
}
