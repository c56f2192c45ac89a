using System.Collections.Concurrent;
using System.Security.Authentication;
using System.Net.Security;
using System.Runtime.CompilerServices;

namespace FastGate.Proxy.Observability;

/// <summary>The TLS handshakes of one listener: by result, by negotiated version and cipher, and their durations.</summary>
public sealed class TlsListenerCounters(string name)
{
    private readonly long[] _results = new long[Enum.GetValues<TlsHandshakeResult>().Length];
    private readonly ConcurrentDictionary<(SslProtocols Version, TlsCipherSuite Cipher), StrongBox<long>> _sessions = new();

    public string Name { get; } = name;

    /// <summary>Seconds from the accepted connection to the finished (or failed) handshake.</summary>
    public LatencyHistogram Duration { get; } = new();

    public long Count(TlsHandshakeResult result) => Interlocked.Read(ref _results[(int)result]);

    public void Record(TlsHandshakeResult result, long elapsedTicks)
    {
        Interlocked.Increment(ref _results[(int)result]);
        Duration.Record(elapsedTicks);
    }

    public void Negotiated(SslProtocols version, TlsCipherSuite cipher)
    {
        var count = _sessions.GetOrAdd((version, cipher), static _ => new StrongBox<long>());
        Interlocked.Increment(ref count.Value);
    }

    public IEnumerable<(SslProtocols Version, TlsCipherSuite Cipher, long Count)> Sessions =>
        _sessions.Select(s => (s.Key.Version, s.Key.Cipher, Interlocked.Read(ref s.Value.Value)));
}
