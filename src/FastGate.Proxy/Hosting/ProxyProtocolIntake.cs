using System.Buffers;
using System.Diagnostics;
using System.IO.Pipelines;
using System.Runtime.CompilerServices;
using FastGate.Core.ProxyProtocol;
using FastGate.Core.Transport;
using FastGate.Core.Transport.Epoll;
using FastGate.Proxy.Config;
using FastGate.Proxy.Observability;
using FastGate.Proxy.Stages.Transforms;

namespace FastGate.Proxy.Hosting;

/// <summary>
/// Reads the PROXY protocol header that starts every connection of a listener with
/// <c>proxy_protocol = true</c>, before the protocol inside (HTTP, or bytes for an L4 listener)
/// sees a byte. As with HAProxy's accept-proxy and nginx's <c>listen ... proxy_protocol</c>, the
/// header is required, not optional: a connection without one, with a bad one, or from a source
/// not in <c>proxy_protocol_from</c> is closed, so a client that reaches the listener directly
/// cannot pose as another. The header's source becomes the connection's client address; the bytes
/// after it stay in the transport's input. Built once per listener model (a reload makes a new one).
/// </summary>
public sealed class ProxyProtocolIntake
{
    private static readonly ConditionalWeakTable<ListenerModel, ProxyProtocolIntake> ByListener = new();

    private readonly string _listener;
    private readonly IpRange[] _trusted;
    private readonly TimeSpan _timeout;

    private ProxyProtocolIntake(ListenerModel listener)
    {
        _listener = listener.Name;
        _timeout = listener.Limits.HeaderTimeout;
        _trusted = new IpRange[listener.ProxyProtocolFrom.Count];
        for (var i = 0; i < _trusted.Length; i++)
        {
            _trusted[i] = IpRange.From(listener.ProxyProtocolFrom[i]);
        }
    }

    /// <summary>The intake of <paramref name="listener"/>, or null when it takes no PROXY header.</summary>
    public static ProxyProtocolIntake? For(ListenerModel? listener) =>
        listener is { ProxyProtocol: true } ? ByListener.GetValue(listener, static l => new ProxyProtocolIntake(l)) : null;

    /// <summary>Whether <paramref name="peerIp"/> (4 or 16 bytes) may send the header.</summary>
    public bool Trusts(ReadOnlySpan<byte> peerIp)
    {
        foreach (ref readonly var range in _trusted.AsSpan())
        {
            if (range.Contains(peerIp))
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>
    /// Reads and consumes the header of a new connection from <paramref name="peerIp"/>. On an event
    /// loop connection call it on the loop thread; it continues there. Never throws for what the
    /// peer sends or does: every way it can go wrong is an outcome, counted in <paramref name="metrics"/>.
    /// The caller closes the connection unless the result is <see cref="ProxyIntakeResult.Accepted"/>.
    /// </summary>
    public async ValueTask<ProxyIntakeResult> ReadAsync(ITransport transport, byte[] peerIp, int peerPort, ProxyProtocolMetrics metrics)
    {
        if (!Trusts(peerIp))
        {
            metrics.Untrusted(_listener);
            return ProxyIntakeResult.Refused(ProxyIntakeOutcome.Untrusted);
        }
        var input = transport.Input;
        // A loop connection ignores cancellation tokens: its deadline is a loop timer that cancels
        // the pending read, on the loop, so no cancel can land after the header is read.
        LoopDeadline? loopDeadline = null;
        CancellationTokenSource? tokenDeadline = null;
        if (transport is EpollConnection epoll)
        {
            loopDeadline = new LoopDeadline(input);
            loopDeadline.Start(epoll.Loop, _timeout);
        }
        else
        {
            tokenDeadline = new CancellationTokenSource(_timeout);
        }
        try
        {
            while (true)
            {
                ReadResult read;
                try
                {
                    read = await input.ReadAsync(tokenDeadline?.Token ?? default);
                }
                catch (OperationCanceledException)
                {
                    return Ended(ProxyIntakeOutcome.TimedOut, metrics);
                }
                catch (Exception)
                {
                    return Ended(ProxyIntakeOutcome.Closed, metrics, empty: false);
                }
                if (read.IsCanceled)
                {
                    return Ended(ProxyIntakeOutcome.TimedOut, metrics);
                }
                var buffer = read.Buffer;
                var status = ProxyProtocolReader.TryRead(buffer, out var header, out var error);
                if (status == ProxyReadStatus.Done)
                {
                    input.AdvanceTo(buffer.GetPosition(header.Length));
                    metrics.Accepted(_listener, header.Version);
                    return Result(header, peerIp, peerPort);
                }
                input.AdvanceTo(buffer.Start, buffer.End);
                if (status == ProxyReadStatus.Invalid)
                {
                    metrics.Rejected(_listener, error);
                    return ProxyIntakeResult.Refused(ProxyIntakeOutcome.Invalid);
                }
                if (read.IsCompleted)
                {
                    return Ended(ProxyIntakeOutcome.Closed, metrics, empty: buffer.IsEmpty);
                }
            }
        }
        finally
        {
            loopDeadline?.Cancel();
            tokenDeadline?.Dispose();
        }
    }

    private ProxyIntakeResult Ended(ProxyIntakeOutcome outcome, ProxyProtocolMetrics metrics, bool empty = false)
    {
        metrics.Rejected(_listener, outcome, empty);
        return ProxyIntakeResult.Refused(outcome);
    }

    private static ProxyIntakeResult Result(in ProxyHeader header, byte[] peerIp, int peerPort) =>
        header.HasAddresses
            ? new ProxyIntakeResult(ProxyIntakeOutcome.Accepted, header.Source.Bytes.ToArray(), header.Source.Port, header.Destination.Bytes.ToArray(), header.Destination.Port)
            : new ProxyIntakeResult(ProxyIntakeOutcome.Accepted, peerIp, peerPort, null, -1);

    /// <summary>The header deadline of a loop connection: cancels the pending read when it fires. Loop thread only.</summary>
    private sealed class LoopDeadline(PipeReader input) : ILoopTimerTarget
    {
        private LoopTimer? _timer;

        public void Start(EventLoop loop, TimeSpan timeout)
        {
            _timer = loop.Timers.Create(this);
            _timer.ScheduleAfter(timeout);
        }

        public void Cancel() => _timer?.Cancel();

        void ILoopTimerTarget.OnTimer(long now) => input.CancelPendingRead();
    }
}
