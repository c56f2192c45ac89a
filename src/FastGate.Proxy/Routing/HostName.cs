using System.Net;
using System.Net.Sockets;

namespace FastGate.Proxy.Routing;

/// <summary>Normalises Host values the same way for configured names and received requests.</summary>
internal static class HostName
{
    /// <summary>
    /// The name part of a raw Host value: optional whitespace trimmed, the port dropped and one
    /// trailing dot (the fully-qualified form, RFC 1034 section 3.1) removed. An IPv6 literal keeps
    /// its brackets. Case is left alone; the caller lower-cases while widening.
    /// </summary>
    public static ReadOnlySpan<byte> Trim(ReadOnlySpan<byte> raw)
    {
        raw = raw.Trim(" \t"u8);
        if (raw.IsEmpty)
        {
            return raw;
        }

        if (raw[0] == (byte)'[')
        {
            // "[::1]:8080": the colons inside the brackets are part of the address. A missing
            // bracket leaves the value as is; it then equals no configured name.
            int close = raw.IndexOf((byte)']');
            return close < 0 ? raw : raw[..(close + 1)];
        }

        int colon = raw.IndexOf((byte)':');
        if (colon >= 0)
        {
            raw = raw[..colon];
        }

        if (!raw.IsEmpty && raw[^1] == (byte)'.')
        {
            raw = raw[..^1];
        }

        return raw;
    }

    /// <summary>
    /// The key a configured host is stored under: lower-case, no trailing dot, and an IPv6
    /// address in brackets (as it arrives in a Host header, RFC 9110 section 7.2) whether or not
    /// the file wrote them.
    /// </summary>
    public static string NormalizeConfigured(string host)
    {
        string h = host.Trim().ToLowerInvariant();
        if (h.Length > 1 && h[^1] == '.')
        {
            h = h[..^1];
        }

        if (h.Contains(':') && h[0] != '['
            && IPAddress.TryParse(h, out IPAddress? address)
            && address.AddressFamily == AddressFamily.InterNetworkV6)
        {
            h = "[" + h + "]";
        }

        return h;
    }
}
