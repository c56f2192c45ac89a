namespace FastGate.Proxy.Hosting;

/// <summary>
/// What <see cref="ProxyProtocolIntake.ReadAsync"/> found. When <see cref="Accepted"/>, the
/// connection's client is <see cref="ClientIp"/>: the header's source address, or the real peer's
/// when the header named none (LOCAL, UNKNOWN). Otherwise the caller closes the connection.
/// </summary>
public readonly record struct ProxyIntakeResult(ProxyIntakeOutcome Outcome, byte[] ClientIp, int ClientPort, byte[]? TargetIp, int TargetPort)
{
    public bool Accepted => Outcome == ProxyIntakeOutcome.Accepted;

    /// <summary>The header named the client (PROXY with TCP4/TCP6), so the addresses are the sender's view, not the socket's.</summary>
    public bool Proxied => TargetIp is not null;

    public static ProxyIntakeResult Refused(ProxyIntakeOutcome outcome) => new(outcome, [], -1, null, -1);
}
