using FastGate.Proxy.Config;

namespace FastGate.Proxy.Upstreams;

/// <summary>
/// A cluster's upstream TLS across reloads: the handshake counters, and the <see cref="UpstreamTls"/>
/// in force, kept by a reload that leaves the settings as they were so that pooled connections
/// stay usable. Thread-safe: counters are atomics; the current client is swapped whole.
/// </summary>
public sealed class UpstreamTlsState
{
    private long _handshakes;
    private long _failures;
    private UpstreamTls? _current;
    private UpstreamTlsModel? _seen;

    /// <summary>Handshakes that completed, for traffic and for health checks.</summary>
    public long Handshakes => Volatile.Read(ref _handshakes);

    /// <summary>Handshakes that failed: refused certificate, protocol error, timeout, closed.</summary>
    public long HandshakeFailures => Volatile.Read(ref _failures);

    internal void Succeeded() => Interlocked.Increment(ref _handshakes);

    internal void Failed() => Interlocked.Increment(ref _failures);

    /// <summary>The TLS client for <paramref name="model"/>: the one already built when its settings are the same.</summary>
    public UpstreamTls? For(UpstreamTlsModel? model)
    {
        if (model is null)
        {
            return null;
        }
        var current = Volatile.Read(ref _current);
        if (current is not null && ReferenceEquals(Volatile.Read(ref _seen), model))
        {
            return current;
        }
        if (current is null || current.Model.Identity != model.Identity)
        {
            current = new UpstreamTls(model, this);
            Volatile.Write(ref _current, current);
        }
        Volatile.Write(ref _seen, model);
        return current;
    }
}
