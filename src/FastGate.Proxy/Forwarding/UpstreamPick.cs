namespace FastGate.Proxy.Forwarding;

/// <summary>What <see cref="UpstreamLeg.Pick"/> found.</summary>
internal enum UpstreamPick : byte
{
    /// <summary>A pooled connection to the endpoint is ready to take the request.</summary>
    Rented,
    /// <summary>An endpoint was chosen; a new connection must be opened to it.</summary>
    Connect,
    /// <summary>The cluster has no endpoint to offer (or the route has no cluster).</summary>
    NoEndpoint,
    /// <summary>An upstream-chosen stage answered the exchange locally.</summary>
    Answered,
    /// <summary>An upstream-chosen stage threw.</summary>
    StageFailed,
    /// <summary>The cluster is at one of its circuit caps (<see cref="UpstreamLeg.Refused"/> names it): 503 at once.</summary>
    CircuitOpen,
}
