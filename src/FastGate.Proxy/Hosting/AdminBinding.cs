using FastGate.Core.Transport;

namespace FastGate.Proxy.Hosting;

/// <summary>
/// The admin socket and the token that guards it, published together with one write so a request
/// is always checked against the token of the address it arrived on. A connection accepted by a
/// socket that is no longer <see cref="Listener"/> is not served.
/// </summary>
public sealed record AdminBinding(ConnectionListener Listener, string? Token);
