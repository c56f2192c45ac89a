using System.Net;
using System.Net.Sockets;
using System.Text;

namespace FastGate.Tools.StreamLoad;

/// <summary>
/// Where a stream goes: the address to connect to and the request line's target and Host, from a
/// ws:// or http:// URL. Resolved once, so opening thousands of streams does no DNS work.
/// </summary>
internal sealed class Target
{
    private Target(IPEndPoint endPoint, string host, string pathAndQuery)
    {
        EndPoint = endPoint;
        Host = host;
        PathAndQuery = pathAndQuery;
    }

    public IPEndPoint EndPoint { get; }

    public string Host { get; }

    public string PathAndQuery { get; }

    public static Target Parse(string url, string scheme)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri))
        {
            throw new ArgumentException($"'{url}' is not an absolute URL");
        }
        var plain = scheme == "ws" ? "ws" : "http";
        if (uri.Scheme != plain)
        {
            throw new ArgumentException($"'{url}': expected a {plain}:// URL (TLS is not supported)");
        }
        IPAddress address;
        if (!IPAddress.TryParse(uri.IdnHost, out address!))
        {
            address = Dns.GetHostAddresses(uri.IdnHost).FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork)
                ?? throw new ArgumentException($"'{uri.Host}' has no IPv4 address");
        }
        return new Target(new IPEndPoint(address, uri.Port), uri.Authority, uri.PathAndQuery);
    }

    /// <summary>The same address and Host with another request target.</summary>
    public Target WithPathAndQuery(string pathAndQuery) => new(EndPoint, Host, pathAndQuery);

    /// <summary>A new connected socket with Nagle off: every message is small and waited for.</summary>
    public async Task<Socket> ConnectAsync(CancellationToken cancel)
    {
        var socket = new Socket(EndPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(EndPoint, cancel);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    public byte[] RequestHead(string extraHeaders) =>
        Encoding.ASCII.GetBytes($"GET {PathAndQuery} HTTP/1.1\r\nHost: {Host}\r\n{extraHeaders}\r\n");
}
