using System.IO.Pipelines;
using System.Net.Security;
using FastGate.Core.Http2;
using FastGate.Core.Transport;
using FastGate.Core.Transport.Epoll;
using FastGate.Proxy.Forwarding;
using FastGate.Proxy.Forwarding.Http2;

namespace FastGate.Proxy.Hosting;

// HTTP/2 on an http listener: by ALPN "h2" on TLS, or on a plain listener with h2c = true by the
// client preface, sniffed from the first 24 bytes without consuming them, so a connection that
// does not start with it is served as HTTP/1.1 from its first byte.
public sealed partial class HttpConnectionHandler
{
    private bool H2cEnabled => gateway.Current.Listener(listenerName)?.H2c == true;

    /// <summary>A TLS session that agreed on "h2".</summary>
    private static bool NegotiatedH2(StreamTransport transport) =>
        transport.Stream is Core.Tls.OpenSsl.OpenSslStream tls && tls.NegotiatedApplicationProtocol == SslApplicationProtocol.Http2;

    private Task ServeHttp2(ITransport transport, byte[] address, ConnectionListener listener, ClientConnectionCounts.ClientLease? lease, Tls.TlsConnectionInfo? tls) =>
        new Http2Connection(transport, address, gateway, listenerName, listener, tls, lease).Start();

    /// <summary>
    /// A plain connection on an h2c listener: HTTP/2 when it starts with the preface, else HTTP/1.1.
    /// On an event loop it continues on the loop, where either connection starts: an HTTP/2 one
    /// reads and writes the loop connection's pipes directly, on the loop thread.
    /// </summary>
    private async Task ServePlainH2cAsync(ITransport transport, ClientAddressInfo client, ConnectionListener listener, ClientConnectionCounts.ClientLease lease)
    {
        bool? http2;
        try
        {
            http2 = await SniffPrefaceAsync(transport).ConfigureAwait(false);
        }
        catch (Exception)
        {
            http2 = null;
        }
        var epoll = transport as EpollConnection;
        if (epoll is not null && !epoll.Loop.IsCurrent)
        {
            await epoll.Loop.SwitchTo();
        }
        if (http2 is null || gateway.Draining)
        {
            transport.Dispose();
            lease.Release();
            listener.OnConnectionClosed();
            return;
        }
        if (http2 == true)
        {
            _ = ServeHttp2(transport, client.Text, listener, lease, null);
            return;
        }
        if (epoll is not null)
        {
            new Http1ClientConnection(transport, client, gateway, listenerName, listener) { Lease = lease }.Start();
            return;
        }
        _ = new Http1ProxyConnection(transport, client, gateway, listenerName, listener) { Lease = lease }.Start();
    }

    /// <summary>
    /// True when the bytes start with the HTTP/2 client preface, false at the first byte that rules
    /// it out (or a client that closed early); nothing is consumed. Null when the client sent
    /// nothing decisive within the listener's header_timeout.
    /// </summary>
    private async ValueTask<bool?> SniffPrefaceAsync(ITransport transport)
    {
        var input = transport.Input;
        var timeout = gateway.Current.Listener(listenerName)?.Limits.HeaderTimeout ?? TimeSpan.FromSeconds(10);
        using var deadline = new SniffDeadline(transport, timeout);
        while (true)
        {
            var result = await input.ReadAsync().ConfigureAwait(false);
            var buffer = result.Buffer;
            if (result.IsCanceled)
            {
                input.AdvanceTo(buffer.Start);
                return null;
            }
            if (Http2FrameReader.TryReadPreface(buffer, out var mismatch))
            {
                input.AdvanceTo(buffer.Start);
                return true;
            }
            if (mismatch || result.IsCompleted)
            {
                input.AdvanceTo(buffer.Start);
                return result.IsCompleted && buffer.IsEmpty ? null : false;
            }
            input.AdvanceTo(buffer.Start, buffer.End);
        }
    }

    /// <summary>Cancels the sniff's read when it takes too long: on the loop for a loop connection, else from a timer.</summary>
    private sealed class SniffDeadline : ILoopTimerTarget, IDisposable
    {
        private readonly PipeReader _input;
        private readonly LoopTimer? _timer;
        private readonly CancellationTokenRegistration _registration;
        private readonly CancellationTokenSource? _source;

        public SniffDeadline(ITransport transport, TimeSpan timeout)
        {
            _input = transport.Input;
            if (transport is ILoopBound { Loop: { } loop })
            {
                _timer = loop.Timers.Create(this);
                _timer.ScheduleAfter(timeout);
            }
            else
            {
                _source = new CancellationTokenSource(timeout);
                _registration = _source.Token.Register(static state => ((PipeReader)state!).CancelPendingRead(), _input);
            }
        }

        void ILoopTimerTarget.OnTimer(long now) => _input.CancelPendingRead();

        public void Dispose()
        {
            _timer?.Cancel();
            _registration.Dispose();
            _source?.Dispose();
        }
    }
}
