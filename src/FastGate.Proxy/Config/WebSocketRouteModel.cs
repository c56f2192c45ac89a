namespace FastGate.Proxy.Config;

/// <summary>
/// A route's <c>[route.websocket]</c> table: whether the route takes WebSocket upgrades, and the
/// frame and message limits (RFC 6455 §5) every frame of its tunnels is checked against.
/// </summary>
public sealed record WebSocketRouteModel
{
    public static readonly WebSocketRouteModel Default = new();

    /// <summary>Upgrades are proxied; when false an upgrade to the route is answered 403.</summary>
    public bool Enabled { get; init; } = true;
    /// <summary>The largest payload of one frame either way; a larger one closes the tunnel with 1009.</summary>
    public long MaxFrameBytes { get; init; } = 16L * 1024 * 1024;
    /// <summary>The largest message (all its fragments) either way; a larger one closes with 1009.</summary>
    public long MaxMessageBytes { get; init; } = 16L * 1024 * 1024;
    /// <summary>Text messages must be valid UTF-8 across fragments (1007 otherwise); compressed ones are not read.</summary>
    public bool ValidateUtf8 { get; init; } = true;
}
