using System.Diagnostics.CodeAnalysis;
using System.Net;
using System.Net.Sockets;

namespace FastGate.Proxy.Config;

/// <summary>
/// Parses "host:port" addresses: "0.0.0.0:8080", "[::1]:8080" (IPv6 in brackets),
/// "localhost:8080", and for upstreams "api.internal:443". Ports run from 1 to 65535.
/// "localhost" always means 127.0.0.1: resolving it could yield ::1 first, and a backend bound
/// to 127.0.0.1 only would then refuse every connection.
/// </summary>
public static class AddressParser
{
    /// <summary>A listen address: an IP literal or "localhost"; names are not resolved when binding.</summary>
    public static bool TryParseListen(string text, [NotNullWhen(true)] out IPEndPoint? endpoint, [NotNullWhen(false)] out string? error)
    {
        endpoint = null;
        if (!TrySplit(text, out var host, out int port, out var ip, out error))
        {
            return false;
        }

        if (ip is null)
        {
            error = $"'{host}' in '{text}' is not an IP address; a listen address must be an IP address or 'localhost'";
            return false;
        }

        endpoint = new IPEndPoint(ip, port);
        return true;
    }

    /// <summary>An upstream address: an IP literal, "localhost", or a DNS name (a <see cref="DnsEndPoint"/>).</summary>
    public static bool TryParseUpstream(string text, [NotNullWhen(true)] out EndPoint? endpoint, [NotNullWhen(false)] out string? error)
    {
        endpoint = null;
        if (!TrySplit(text, out var host, out int port, out var ip, out error))
        {
            return false;
        }

        if (ip is not null)
        {
            endpoint = new IPEndPoint(ip, port);
            return true;
        }

        if (!IsHostName(host))
        {
            error = $"'{host}' in '{text}' is not a valid host name";
            return false;
        }

        endpoint = new DnsEndPoint(host.ToLowerInvariant(), port);
        return true;
    }

    /// <summary>
    /// A CIDR block, "10.0.0.0/8" or "2001:db8::/32"; a bare address is the block of that address alone.
    /// Bits set past the prefix are an error rather than silently masked: "10.0.0.1/8" is more likely a
    /// typo for a single host than a wish to trust ten million.
    /// </summary>
    public static bool TryParseNetwork(string text, out IPNetwork network, [NotNullWhen(false)] out string? error)
    {
        network = default;
        int slash = text.IndexOf('/');
        var addressText = slash < 0 ? text : text[..slash];
        bool isIPv6 = addressText.Contains(':');
        if ((!isIPv6 && !IsDottedQuad(addressText)) || !IPAddress.TryParse(addressText, out var address) || (isIPv6 && address.ScopeId != 0))
        {
            error = $"'{text}' is not an IP address or CIDR block (e.g. \"10.0.0.0/8\", \"::1/128\")";
            return false;
        }

        int maxPrefix = address.AddressFamily == AddressFamily.InterNetwork ? 32 : 128;
        int prefix = maxPrefix;
        if (slash >= 0)
        {
            var prefixText = text.AsSpan(slash + 1);
            if (prefixText.Length is 0 or > 3 || prefixText.ContainsAnyExceptInRange('0', '9')
                || !int.TryParse(prefixText, out prefix) || prefix > maxPrefix)
            {
                error = $"invalid prefix length in '{text}': use 0 to {maxPrefix}";
                return false;
            }
        }

        Span<byte> bytes = stackalloc byte[16];
        address.TryWriteBytes(bytes, out int length);
        for (int bit = prefix; bit < length * 8; bit++)
        {
            if ((bytes[bit / 8] & (0x80 >> (bit % 8))) != 0)
            {
                error = $"'{text}' has bits set past the /{prefix} prefix; write the network address (e.g. {new IPNetwork(Mask(address, prefix), prefix)}) or a /{maxPrefix} for one host";
                return false;
            }
        }

        network = new IPNetwork(address, prefix);
        error = null;
        return true;
    }

    private static IPAddress Mask(IPAddress address, int prefix)
    {
        var bytes = address.GetAddressBytes();
        for (int bit = prefix; bit < bytes.Length * 8; bit++)
        {
            bytes[bit / 8] &= (byte)~(0x80 >> (bit % 8));
        }
        return new IPAddress(bytes);
    }

    /// <summary>
    /// Splits host and port; <paramref name="ip"/> is set when the host is an IP literal or
    /// "localhost". Only dotted quads count as IPv4: IPAddress.TryParse would also take "1" or
    /// "127.1", which nobody means in a config file.
    /// </summary>
    private static bool TrySplit(string text, out string host, out int port, out IPAddress? ip, [NotNullWhen(false)] out string? error)
    {
        host = "";
        port = 0;
        ip = null;
        if (text.Length == 0)
        {
            error = "address is empty";
            return false;
        }

        string portText;
        if (text[0] == '[')
        {
            int close = text.IndexOf(']');
            if (close < 0)
            {
                error = $"invalid address '{text}': missing ']'";
                return false;
            }

            host = text[1..close];
            if (close + 1 >= text.Length || text[close + 1] != ':')
            {
                error = $"invalid address '{text}': expected ':port' after ']'";
                return false;
            }

            portText = text[(close + 2)..];
            if (!IPAddress.TryParse(host, out ip) || ip.AddressFamily != AddressFamily.InterNetworkV6)
            {
                error = $"invalid address '{text}': '{host}' is not an IPv6 address";
                return false;
            }
        }
        else
        {
            int colon = text.LastIndexOf(':');
            if (colon < 0)
            {
                error = $"invalid address '{text}': missing port (expected host:port)";
                return false;
            }

            host = text[..colon];
            portText = text[(colon + 1)..];
            if (host.Contains(':'))
            {
                error = $"invalid address '{text}': write IPv6 addresses in brackets, e.g. [::1]:8080";
                return false;
            }

            if (host.Length == 0)
            {
                error = $"invalid address '{text}': missing host";
                return false;
            }

            if (host.Equals("localhost", StringComparison.OrdinalIgnoreCase))
            {
                ip = IPAddress.Loopback;
            }
            else if (IsNumericName(host))
            {
                if (!IsDottedQuad(host) || !IPAddress.TryParse(host, out ip))
                {
                    error = $"invalid address '{text}': '{host}' is not an IPv4 address";
                    return false;
                }
            }
        }

        if (portText.Length == 0 || portText.Length > 5 || !portText.All(char.IsAsciiDigit))
        {
            error = $"invalid address '{text}': '{portText}' is not a port number";
            return false;
        }

        port = int.Parse(portText, System.Globalization.CultureInfo.InvariantCulture);
        if (port is < 1 or > 65535)
        {
            error = $"invalid address '{text}': port must be between 1 and 65535";
            return false;
        }

        error = null;
        return true;
    }

    private static bool IsNumericName(string host) => host.All(c => char.IsAsciiDigit(c) || c == '.');

    private static bool IsDottedQuad(string host)
    {
        var parts = host.Split('.');
        return parts.Length == 4 && parts.All(p => p.Length is >= 1 and <= 3);
    }

    /// <summary>RFC 1123 names, plus '_' which service-discovery names use.</summary>
    internal static bool IsHostName(string host)
    {
        if (host.Length is 0 or > 253)
        {
            return false;
        }

        foreach (var label in host.Split('.'))
        {
            if (label.Length is 0 or > 63 || label[0] == '-' || label[^1] == '-')
            {
                return false;
            }

            foreach (char c in label)
            {
                if (!char.IsAsciiLetterOrDigit(c) && c != '-' && c != '_')
                {
                    return false;
                }
            }
        }

        return true;
    }
}
