namespace FastGate.Proxy.Hosting;

/// <summary>Something whose deadlines the heartbeat checks (connections).</summary>
public interface IHeartbeatTarget
{
    /// <summary>Its index in the <see cref="ConnectionRegistry"/>; maintained by the registry.</summary>
    int RegistrySlot { get; set; }

    /// <param name="now">Stopwatch ticks.</param>
    void OnHeartbeat(long now);

    /// <summary>Drain: close now if between exchanges, else after the current one.</summary>
    void CloseWhenIdle();

    /// <summary>Drain: the drain timeout expired: end long-lived streams gracefully now (SSE at an event boundary, WebSocket with close 1001, a tunnel closed).</summary>
    void EndStreams();
}
