namespace FastGate.Proxy.Config;

/// <summary>What moves the bytes of client and upstream connections.</summary>
public enum TransportKind
{
    /// <summary>FastGate's own edge-triggered epoll loops, one thread each (Linux; elsewhere the portable one).</summary>
    Epoll,

    /// <summary>.NET sockets behind Pipelines.Sockets.Unofficial, on the runtime's socket engine.</summary>
    Portable,
}
