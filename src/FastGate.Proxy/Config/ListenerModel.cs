using System.Net;

namespace FastGate.Proxy.Config;

/// <summary>A validated <c>[[listener]]</c>.</summary>
public sealed record ListenerModel
{
    public required string Name { get; init; }
    public required IPEndPoint Endpoint { get; init; }
    public ListenerProtocol Protocol { get; init; } = ListenerProtocol.Http;
    /// <summary>tcp and tls-passthrough listeners: the cluster bytes go to; null for http.</summary>
    public string? Cluster { get; init; }
    /// <summary>tls-passthrough listeners: clusters chosen by SNI name; a name none matches goes to <see cref="Cluster"/>.</summary>
    public IReadOnlyList<SniRouteModel> SniRoutes { get; init; } = [];
    public int Backlog { get; init; } = 511;
    /// <summary>0 means no limit.</summary>
    public int MaxConnections { get; init; }
    /// <summary>Share the port with other processes that ask for it too (SO_REUSEPORT); off by default so a second daemon fails to start.</summary>
    public bool ReusePort { get; init; }
    public required LimitsModel Limits { get; init; }
    /// <summary>TLS offload settings from <c>[listener.tls]</c>; null when the listener speaks plain text.</summary>
    public TlsModel? Tls { get; init; }
    /// <summary>Every connection starts with a PROXY protocol header (v1 or v2) that names the client.</summary>
    public bool ProxyProtocol { get; init; }
    /// <summary>The sources allowed to send that header; a connection from anywhere else is closed.</summary>
    public IReadOnlyList<IPNetwork> ProxyProtocolFrom { get; init; } = [];
    /// <summary>
    /// Plain http listeners: a connection that starts with the HTTP/2 preface is served as HTTP/2
    /// (h2c with prior knowledge); any other as HTTP/1.1 on the same port.
    /// </summary>
    public bool H2c { get; init; }
}
