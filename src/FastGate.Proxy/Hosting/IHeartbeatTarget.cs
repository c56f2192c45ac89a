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
}
