using System.IO.Pipelines;
using FastGate.Core.Http;
using FastGate.Core.Http1;
using FastGate.Core.Transport;
using FastGate.Core.Transport.Epoll;

namespace FastGate.Proxy.Upstreams;

/// <summary>One HTTP/1.1 connection to an upstream endpoint, reused across exchanges while keep-alive holds.</summary>
public sealed class UpstreamConnection : IDisposable
{
    private readonly ITransport _transport;
    private int _disposed;

    /// <param name="tls">The TLS settings under <paramref name="transport"/>, if any.</param>
    /// <param name="openedOnLane">The lane of the caller that opened a TLS connection.</param>
    public UpstreamConnection(ITransport transport, EndpointState endpoint, System.Net.EndPoint target, UpstreamTls? tls = null, int openedOnLane = 0)
    {
        Endpoint = endpoint;
        Target = target;
        _transport = transport;
        // Every transport keeps its pipes for its life: held here, the exchange's several reads
        // and flushes per request skip an interface call each.
        Input = transport.Input;
        Output = transport.Output;
        Tls = tls;
        // A TLS connection's socket is not a loop's, but it goes back to the pool of the loop that
        // opened it, where that loop's exchanges look for one.
        Lane = transport is EpollConnection loopBound ? loopBound.Loop.Index + 1
            : tls is not null ? openedOnLane
            : 0;
    }

    /// <summary>The connection under the pipes (for a byte tunnel that may relay it below them).</summary>
    public ITransport Transport => _transport;

    /// <summary>The TLS settings the connection was opened with; null for plain text.</summary>
    public UpstreamTls? Tls { get; }

    /// <summary>The idle pool it returns to: 0 off the loops, else its loop's index + 1.</summary>
    public int Lane { get; }

    public EndpointState Endpoint { get; }

    /// <summary>The address this connection went to (one of a host name's answers).</summary>
    public System.Net.EndPoint Target { get; }
    public PipeReader Input { get; }
    public PipeWriter Output { get; }

    /// <summary>The response head of the current exchange, reused.</summary>
    public ResponseHead Response { get; } = new();

    /// <summary>Exchanges already served on this connection (0 while the first one runs).</summary>
    public int Uses { get; set; }

    /// <summary>When the connection went back to the pool (Stopwatch ticks).</summary>
    public long IdleSince { get; set; }

    /// <summary>
    /// True when the upstream has closed this idle connection or sent bytes nobody asked for;
    /// such a connection must not carry a new request.
    /// </summary>
    public bool IsStale()
    {
        if (Volatile.Read(ref _disposed) != 0)
        {
            return true;
        }
        if (Input.TryRead(out var result))
        {
            var stale = result.IsCompleted || result.IsCanceled || !result.Buffer.IsEmpty;
            Input.AdvanceTo(result.Buffer.Start);
            return stale;
        }
        return false;
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        Endpoint.OnConnectionClosed();
        if (_transport is EpollConnection)
        {
            // Closed on its loop (from any thread), which ends what is pending on its pipes.
            _transport.Dispose();
            return;
        }
        try
        {
            _transport.Input.Complete();
            _transport.Output.Complete();
        }
        catch (InvalidOperationException)
        {
            // A read or flush still pending on another path; disposing the socket ends it.
        }
        _transport.Dispose();
    }
}
