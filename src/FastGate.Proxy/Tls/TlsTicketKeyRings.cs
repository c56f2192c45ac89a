using System.Collections.Concurrent;
using FastGate.Core.Tls.OpenSsl;

namespace FastGate.Proxy.Tls;

/// <summary>
/// The session-ticket key ring of each TLS listener, by name, for the life of the process: a
/// reload or a changed certificate builds a new termination but keeps the keys, so clients
/// resume across it. Listeners do not share keys: a ticket one listener issued is not taken by
/// another.
/// </summary>
public static class TlsTicketKeyRings
{
    private static readonly ConcurrentDictionary<string, TlsTicketKeyRing> Rings = new(StringComparer.Ordinal);

    /// <summary>The ring of <paramref name="listenerName"/>, turning every <paramref name="rotation"/> from now on.</summary>
    public static TlsTicketKeyRing For(string listenerName, TimeSpan rotation)
    {
        var ring = Rings.GetOrAdd(listenerName, static (_, rotation) => new TlsTicketKeyRing(rotation), rotation);
        ring.Rotation = rotation;
        return ring;
    }
}
