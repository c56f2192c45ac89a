using System.Net;

namespace FastGate.Proxy.Config;

public sealed record EndpointModel
{
    /// <summary>The address as written ("host:port"), the endpoint's identity across reloads.</summary>
    public required string Address { get; init; }
    public required EndPoint EndPoint { get; init; }
    /// <summary>The value sent as Host when the client sent none (HTTP/1.0).</summary>
    public required string HostHeader { get; init; }
    public int Weight { get; init; } = 1;
}
