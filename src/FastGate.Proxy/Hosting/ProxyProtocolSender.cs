using System.IO.Pipelines;
using System.Net;
using FastGate.Core.ProxyProtocol;

namespace FastGate.Proxy.Hosting;

/// <summary>
/// Writes the PROXY protocol header of a cluster with <c>proxy_protocol</c> on a new upstream
/// connection of an L4 listener. It must be the first thing written on that connection; the
/// caller flushes it, alone or with the first client bytes. One header names one client, so it is
/// only for connections that carry one client's bytes (tcp and tls-passthrough listeners), never
/// for pooled HTTP upstream connections; the config check refuses that pairing.
/// </summary>
public static class ProxyProtocolSender
{
    /// <summary>
    /// The header naming <paramref name="client"/> as the source and <paramref name="local"/> (the
    /// address the client connected to) as the destination. An end that is not an IP endpoint gives
    /// the header that says "unknown", and the receiver keeps its own view of the connection.
    /// </summary>
    public static void WriteHeader(PipeWriter output, ProxyVersion version, IPEndPoint? client, IPEndPoint? local)
    {
        Span<byte> clientIp = stackalloc byte[16];
        Span<byte> localIp = stackalloc byte[16];
        var clientLength = client is not null && client.Address.TryWriteBytes(clientIp, out var c) ? c : 0;
        var localLength = local is not null && local.Address.TryWriteBytes(localIp, out var l) ? l : 0;
        WriteHeader(output, version, clientIp[..clientLength], client?.Port ?? 0, localIp[..localLength], local?.Port ?? 0);
    }

    /// <summary>
    /// The header for a connection that came in through <see cref="ProxyProtocolIntake"/>: the
    /// client and destination its own header named, so a chain of proxies keeps the first view;
    /// when that header named none, the peer and <paramref name="local"/>.
    /// </summary>
    public static void WriteHeader(PipeWriter output, ProxyVersion version, in ProxyIntakeResult intake, IPEndPoint? local)
    {
        if (intake.TargetIp is { } target)
        {
            WriteHeader(output, version, intake.ClientIp, intake.ClientPort, target, intake.TargetPort);
            return;
        }
        Span<byte> localIp = stackalloc byte[16];
        var localLength = local is not null && local.Address.TryWriteBytes(localIp, out var l) ? l : 0;
        WriteHeader(output, version, intake.ClientIp, intake.ClientPort, localIp[..localLength], local?.Port ?? 0);
    }

    /// <summary>Addresses as 4 or 16 bytes (anything else is unknown); a port outside 0..65535 is written as 0.</summary>
    public static void WriteHeader(PipeWriter output, ProxyVersion version, ReadOnlySpan<byte> clientIp, int clientPort, ReadOnlySpan<byte> localIp, int localPort)
    {
        var span = output.GetSpan(ProxyProtocolWriter.MaxLength);
        var written = ProxyProtocolWriter.Write(version, span, clientIp, Port(clientPort), localIp, Port(localPort));
        output.Advance(written);
    }

    private static ushort Port(int port) => port is >= 0 and <= ushort.MaxValue ? (ushort)port : (ushort)0;
}
