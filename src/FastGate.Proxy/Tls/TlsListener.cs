using System.Diagnostics;
using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using FastGate.Core.Tls.OpenSsl;
using FastGate.Core.Transport;
using FastGate.Core.Transport.Epoll;
using FastGate.Proxy.Observability;

namespace FastGate.Proxy.Tls;

/// <summary>
/// The TLS side of one http listener: runs each accepted connection's handshake with the current
/// <see cref="TlsTermination"/>, and swaps in a new one when its certificate, key or CA files
/// change on disk. A changed file that cannot be served is logged and the old termination stays.
/// The handshakes and the records after them are OpenSSL's, driven by hand: on an
/// event loop by <see cref="OpenSslLoopTransport"/> on the loop's thread, elsewhere by an
/// <see cref="OpenSslStream"/> under a <see cref="StreamTransport"/>. Session tickets are
/// sealed with the listener's key ring, which outlives reloads.
/// </summary>
public sealed class TlsListener
{
    private readonly string _name;
    private readonly TlsListenerCounters _counters;
    private readonly GatewayLog _log;
    private readonly TlsTicketKeyRing _ticketKeys;
    private TlsTermination _current;
    private Dictionary<string, DateTime> _stamps;

    public TlsListener(string name, TlsTermination termination, TlsMetrics metrics, GatewayLog log)
    {
        _name = name;
        _current = termination;
        _counters = metrics.Listener(name);
        _log = log;
        _ticketKeys = TlsTicketKeyRings.For(name, termination.Model.SessionTicketRotation);
        _stamps = Stamp(termination.Files);
    }

    public TlsTermination Current => Volatile.Read(ref _current);

    /// <summary>
    /// Runs the server handshake over <paramref name="inner"/>. Returns the connection as TLS
    /// pipes, or null when the handshake failed or timed out: then <paramref name="inner"/> is
    /// closed, and the failure counted and logged at debug.
    /// </summary>
    public async Task<(StreamTransport Transport, TlsConnectionInfo Info)?> HandshakeAsync(ITransport inner)
    {
        var termination = Current;
        var started = Stopwatch.GetTimestamp();
        var ssl = new OpenSslStream(StreamTransport.AsStream(inner), NewSession(termination));
        using var timeout = new CancellationTokenSource(termination.Model.HandshakeTimeout);
        // A stalled client does not answer a cancelled read: closing the socket ends the handshake.
        var closer = timeout.Token.Register(static transport => ((ITransport)transport!).Dispose(), inner);
        try
        {
            await ssl.AuthenticateAsServerAsync(timeout.Token).ConfigureAwait(false);
            await closer.DisposeAsync().ConfigureAwait(false);
            if (timeout.IsCancellationRequested)
            {
                throw new OperationCanceledException("the handshake timed out as it finished");
            }
        }
        catch (Exception ex)
        {
            await closer.DisposeAsync().ConfigureAwait(false);
            Failed(termination, started, timeout.IsCancellationRequested, ex);
            try
            {
                ssl.Dispose();
            }
            catch (Exception)
            {
                // The connection is already broken; closing it is all that is left.
            }
            inner.Dispose();
            return null;
        }
        var info = Established(termination, started, ssl.SslProtocol, ssl.NegotiatedCipherSuite, ssl.NegotiatedApplicationProtocol, ssl.IsResumed, ssl.RemoteCertificate);
        return (new StreamTransport(ssl, inner), info);
    }

    /// <summary>
    /// Runs the server handshake on <paramref name="inner"/>'s event loop (call it there), where the
    /// records then move too (<see cref="OpenSslLoopTransport"/>). Returns the connection as TLS
    /// pipes, or null when the handshake failed or timed out: then <paramref name="inner"/> is
    /// closed, and the failure counted and logged at debug.
    /// </summary>
    public async Task<(OpenSslLoopTransport Transport, TlsConnectionInfo Info)?> HandshakeOnLoopAsync(EpollConnection inner)
    {
        var termination = Current;
        var started = Stopwatch.GetTimestamp();
        var tls = new OpenSslLoopTransport(inner, NewSession(termination), inner.Loop);
        try
        {
            // Timed on the loop's wheel, where the handshake runs: the timeout and the end cannot race.
            await tls.HandshakeAsync(termination.Model.HandshakeTimeout).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            Failed(termination, started, tls.HandshakeTimedOut, ex);
            tls.Dispose();
            return null;
        }
        var info = Established(termination, started, tls.SslProtocol, tls.NegotiatedCipherSuite, tls.NegotiatedApplicationProtocol, tls.IsResumed, tls.RemoteCertificate);
        return (tls, info);
    }

    private OpenSslServerSession NewSession(TlsTermination termination) =>
        new(termination.DefaultContext, termination.Selector, _ticketKeys, termination.Verifier);

    private void Failed(TlsTermination termination, long started, bool timedOut, Exception ex)
    {
        var result = timedOut ? TlsHandshakeResult.Timeout : TlsHandshakeResult.Failed;
        _counters.Record(result, Stopwatch.GetTimestamp() - started);
        if (_log.IsEnabled(Config.LogLevel.Debug))
        {
            _log.Debug(result == TlsHandshakeResult.Timeout
                ? $"listener '{_name}': TLS handshake not finished within {termination.Model.HandshakeTimeout.TotalSeconds}s, connection closed"
                : $"listener '{_name}': TLS handshake failed: {Describe(ex)}");
        }
    }

    /// <summary>Counts a finished handshake and says what the upstream is told of the client.</summary>
    private TlsConnectionInfo Established(TlsTermination termination, long started, SslProtocols protocol, TlsCipherSuite cipher,
        SslApplicationProtocol alpn, bool resumed, X509Certificate2? client)
    {
        _counters.Record(TlsHandshakeResult.Ok, Stopwatch.GetTimestamp() - started);
        _counters.Negotiated(protocol, cipher);
        if (_log.IsEnabled(Config.LogLevel.Debug))
        {
            _log.Debug($"listener '{_name}': TLS handshake done: {protocol} {cipher}, ALPN '{alpn}'{(resumed ? ", session resumed" : "")}");
        }
        if (termination.Model.ClientAuth == Config.TlsClientAuth.None)
        {
            return TlsConnectionInfo.Anonymous;
        }
        // Only a certificate the verifier accepted gets this far.
        return client is not null ? TlsConnectionInfo.Verified(client) : TlsConnectionInfo.NoClientCertificate;
    }

    /// <summary>
    /// Re-reads the files when one of them changed since the last look (heartbeat thread). A
    /// termination that cannot be built is logged and the current one keeps serving.
    /// </summary>
    public void PollFiles()
    {
        var current = Current;
        var stamps = Stamp(current.Files);
        if (SameStamps(stamps, _stamps))
        {
            return;
        }
        // Remembered whatever the outcome: a bad file is reported once, not on every poll.
        _stamps = stamps;
        try
        {
            var next = TlsTermination.Build(current.Model, DateTime.UtcNow);
            Volatile.Write(ref _current, next);
            _log.Info($"listener '{_name}': certificate files changed on disk and were reloaded");
        }
        catch (TlsCertificateException ex)
        {
            _log.Error($"listener '{_name}': certificate files changed on disk but cannot be served, the previous ones stay: {ex.Message}");
        }
    }

    private static Dictionary<string, DateTime> Stamp(IEnumerable<string> files)
    {
        var stamps = new Dictionary<string, DateTime>(StringComparer.Ordinal);
        foreach (var file in files)
        {
            try
            {
                stamps[file] = File.GetLastWriteTimeUtc(file);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                stamps[file] = DateTime.MinValue;
            }
        }
        return stamps;
    }

    private static bool SameStamps(Dictionary<string, DateTime> a, Dictionary<string, DateTime> b) =>
        a.Count == b.Count && a.All(entry => b.TryGetValue(entry.Key, out var stamp) && stamp == entry.Value);

    private static string Describe(Exception ex)
    {
        var message = ex.Message;
        for (var inner = ex.InnerException; inner is not null; inner = inner.InnerException)
        {
            message += ": " + inner.Message;
        }
        return message;
    }
}
