using System.Diagnostics;
using FastGate.Core.Tls.OpenSsl;
using FastGate.Core.Transport;
using FastGate.Proxy.Observability;

namespace FastGate.Proxy.Tls;

/// <summary>
/// The TLS side of one http listener: runs each accepted connection's handshake with the current
/// <see cref="TlsTermination"/>, and swaps in a new one when its certificate, key or CA files
/// change on disk. A changed file that cannot be served is logged and the old termination stays.
/// The handshakes and the records after them are OpenSSL's, driven over memory BIOs
/// (<see cref="OpenSslStream"/>); session tickets are sealed with the listener's key ring, which
/// outlives reloads.
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
        var ssl = new OpenSslStream(StreamTransport.AsStream(inner),
            new OpenSslServerSession(termination.DefaultContext, termination.Selector, _ticketKeys, termination.Verifier));
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
            var result = timeout.IsCancellationRequested ? TlsHandshakeResult.Timeout : TlsHandshakeResult.Failed;
            _counters.Record(result, Stopwatch.GetTimestamp() - started);
            if (_log.IsEnabled(Config.LogLevel.Debug))
            {
                _log.Debug(result == TlsHandshakeResult.Timeout
                    ? $"listener '{_name}': TLS handshake not finished within {termination.Model.HandshakeTimeout.TotalSeconds}s, connection closed"
                    : $"listener '{_name}': TLS handshake failed: {Describe(ex)}");
            }
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

        _counters.Record(TlsHandshakeResult.Ok, Stopwatch.GetTimestamp() - started);
        _counters.Negotiated(ssl.SslProtocol, ssl.NegotiatedCipherSuite);
        if (_log.IsEnabled(Config.LogLevel.Debug))
        {
            _log.Debug($"listener '{_name}': TLS handshake done: {ssl.SslProtocol} {ssl.NegotiatedCipherSuite}, ALPN '{ssl.NegotiatedApplicationProtocol}'{(ssl.IsResumed ? ", session resumed" : "")}");
        }
        TlsConnectionInfo info;
        if (termination.Model.ClientAuth == Config.TlsClientAuth.None)
        {
            info = TlsConnectionInfo.Anonymous;
        }
        else if (ssl.RemoteCertificate is { } client)
        {
            // Only a certificate the verifier accepted gets this far.
            info = TlsConnectionInfo.Verified(client);
        }
        else
        {
            info = TlsConnectionInfo.NoClientCertificate;
        }
        return (new StreamTransport(ssl, inner), info);
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
