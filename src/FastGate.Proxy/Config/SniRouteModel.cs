namespace FastGate.Proxy.Config;

/// <summary>A validated <c>[[listener.sni_route]]</c>: TLS connections whose SNI name matches go to <see cref="Cluster"/>.</summary>
public sealed record SniRouteModel
{
    /// <summary>Lower-cased host names; <c>*.example.com</c> matches any name below example.com.</summary>
    public required IReadOnlyList<string> Names { get; init; }
    public required string Cluster { get; init; }
}
