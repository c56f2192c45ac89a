using FastGate.Core.Transport;
using FastGate.Proxy.Hosting;

namespace FastGate.Proxy.Forwarding;

// The exchange worker of one HTTP/2 stream (Forwarding/Http2): it reads the request the stream
// writes as HTTP/1.1 on its bridge and writes the response there, exactly as for a client
// connection of its own, so every route feature works on HTTP/2. It is not one, though: the
// HTTP/2 connection is what the registry, the connection counts and the listener see, and its
// heartbeat fires this worker's deadlines.
public sealed partial class Http1ProxyConnection
{
    // Serves one stream of an HTTP/2 connection: no registration, no connection count, no lease.
    private bool _http2Stream;

    /// <summary>A worker for one HTTP/2 stream, over the stream's bridge.</summary>
    internal static Http1ProxyConnection ForHttp2Stream(ITransport bridge, byte[] clientAddress, Gateway gateway, string listenerName, Tls.TlsConnectionInfo? tls) =>
        new(bridge, clientAddress, gateway, listenerName, listener: null, tls) { _http2Stream = true };

    /// <summary>Runs the stream's one exchange (the request says Connection: close); the task ends with it.</summary>
    internal Task StartHttp2Stream() => RunAsync();

    /// <summary>Drain timed out: a long-lived response (SSE) on this stream ends as on a connection of its own.</summary>
    internal void EndStreamsOfHttp2Stream() => Volatile.Read(ref _client)?.EndStreams();

    /// <summary>The HTTP/2 connection's heartbeat fires this stream's deadlines; a worker already done has none.</summary>
    internal void OnHeartbeatOfHttp2Stream(long now) => Volatile.Read(ref _client)?.OnHeartbeat(now);
}
