namespace FastGate.Proxy.Config;

/// <summary>What a cluster speaks to its endpoints (<c>protocol</c> in [cluster.NAME]).</summary>
public enum UpstreamProtocol : byte
{
    /// <summary>"http1": HTTP/1.1, a keep-alive pool of connections, one exchange on each at a time.</summary>
    Http1,
    /// <summary>"h2": HTTP/2 over TLS (ALPN h2), streams multiplexed on few connections.</summary>
    H2,
    /// <summary>"h2c": HTTP/2 over plain TCP with prior knowledge (RFC 9113 §3.3).</summary>
    H2c,
}
