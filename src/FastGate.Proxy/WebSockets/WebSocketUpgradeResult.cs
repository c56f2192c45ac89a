namespace FastGate.Proxy.WebSockets;

/// <summary>How a WebSocket upgrade request ended (fastgate_websocket_upgrades_total{result}).</summary>
public enum WebSocketUpgradeResult : byte
{
    /// <summary>The upstream's 101 checked out and went to the client: a tunnel opened.</summary>
    Ok,
    /// <summary>Answered with something else than 101: the route takes no upgrades, a stage refused it, the upstream answered otherwise or could not be reached.</summary>
    Refused,
    /// <summary>The upgrade request itself was malformed (400) or of another version (426).</summary>
    BadRequest,
    /// <summary>The upstream's 101 failed the checks (Accept, Upgrade, a subprotocol or extension never offered): 502.</summary>
    BadUpstreamResponse,
}
