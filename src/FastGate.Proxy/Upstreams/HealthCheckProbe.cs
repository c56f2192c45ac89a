using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Text;
using FastGate.Core.ProxyProtocol;
using FastGate.Proxy.Config;

namespace FastGate.Proxy.Upstreams;

/// <summary>
/// Runs one active check against one address: a TCP connect, or with a path an HTTP/1.1 GET whose
/// status line must carry an expected status. A cluster with TLS is checked over TLS (the
/// handshake is part of the check, with or without a path). Off the request path (thread pool,
/// plain sockets), so it may allocate. The timeout covers the connect and the response together.
/// </summary>
internal static class HealthCheckProbe
{
    /// <summary>The status line must fit in this much; a server that sends more before it is not answering HTTP.</summary>
    internal const int MaxStatusLineBytes = 4096;

    /// <param name="stop">Cancelled when the checker stops; the check then throws <see cref="OperationCanceledException"/>.</param>
    /// <param name="tls">The cluster's TLS client, or null for plain text.</param>
    /// <param name="targetHost">The SNI name when <paramref name="tls"/> is set.</param>
    public static async Task<HealthCheckResult> RunAsync(EndPoint target, HealthCheckModel model, string defaultHost, CancellationToken stop,
        UpstreamTls? tls = null, string? targetHost = null)
    {
        byte[]? request = null;
        if (model.Path is { } path)
        {
            var host = model.Host ?? defaultHost;
            if (ContainsControl(path) || ContainsControl(host))
            {
                return HealthCheckResult.Fail("the check's path or host holds a control character");
            }
            request = Encoding.ASCII.GetBytes($"GET {path} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: fastgate-health-check\r\nConnection: close\r\n\r\n");
            if (model.ProxyProtocol is { } version)
            {
                var header = new byte[ProxyProtocolWriter.MaxLength];
                request = [.. header.AsSpan(0, ProxyProtocolWriter.WriteLocal(version, header)), .. request];
            }
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stop);
        timeout.CancelAfter(model.Timeout);
        using var socket = target is IPEndPoint ip
            ? new Socket(ip.AddressFamily, SocketType.Stream, ProtocolType.Tcp)
            : new Socket(SocketType.Stream, ProtocolType.Tcp);
        try
        {
            await socket.ConnectAsync(target, timeout.Token).ConfigureAwait(false);
            await using Stream stream = tls is null
                ? new NetworkStream(socket, ownsSocket: false)
                : new SslStream(new NetworkStream(socket, ownsSocket: false), leaveInnerStreamOpen: false);
            if (tls is not null)
            {
                await tls.HandshakeAsync((SslStream)stream, target, targetHost ?? defaultHost, timeout.Token).ConfigureAwait(false);
            }
            if (request is null)
            {
                return HealthCheckResult.Pass(tls is null ? "connected" : "connected, TLS handshake done");
            }
            await stream.WriteAsync(request, timeout.Token).ConfigureAwait(false);
            var buffer = new byte[MaxStatusLineBytes];
            var length = 0;
            while (true)
            {
                var lineEnd = buffer.AsSpan(0, length).IndexOf((byte)'\n');
                if (lineEnd >= 0)
                {
                    if (!TryParseStatusLine(buffer.AsSpan(0, lineEnd + 1), out var status))
                    {
                        return HealthCheckResult.Fail("malformed status line");
                    }
                    return model.Passes(status)
                        ? HealthCheckResult.Pass($"status {status}")
                        : HealthCheckResult.Fail($"status {status}");
                }
                if (length == buffer.Length)
                {
                    return HealthCheckResult.Fail($"no status line in the first {MaxStatusLineBytes} bytes");
                }
                var read = await stream.ReadAsync(buffer.AsMemory(length), timeout.Token).ConfigureAwait(false);
                if (read == 0)
                {
                    return HealthCheckResult.Fail("closed before the status line");
                }
                length += read;
            }
        }
        catch (OperationCanceledException) when (!stop.IsCancellationRequested)
        {
            return HealthCheckResult.Fail($"timed out after {model.Timeout.TotalMilliseconds:0} ms");
        }
        catch (SocketException ex)
        {
            return HealthCheckResult.Fail(SocketErrorName(ex.SocketErrorCode));
        }
        catch (UpstreamTlsException ex)
        {
            return HealthCheckResult.Fail(ex.Message);
        }
        catch (IOException ex) when (ex.InnerException is SocketException socketError)
        {
            return HealthCheckResult.Fail(SocketErrorName(socketError.SocketErrorCode));
        }
    }

    /// <summary>
    /// status-line = HTTP-version SP status-code SP [ reason-phrase ] CRLF (RFC 9112 section 4);
    /// <paramref name="line"/> runs up to and including its LF. A bare LF is accepted, as most clients do.
    /// </summary>
    internal static bool TryParseStatusLine(ReadOnlySpan<byte> line, out int status)
    {
        status = 0;
        if (line.Length < 13 || !line.StartsWith("HTTP/1."u8) || !char.IsAsciiDigit((char)line[7]) || line[8] != (byte)' ')
        {
            return false;
        }
        byte d0 = line[9], d1 = line[10], d2 = line[11];
        if (d0 < (byte)'1' || d0 > (byte)'9' || !char.IsAsciiDigit((char)d1) || !char.IsAsciiDigit((char)d2))
        {
            return false;
        }
        if (line[12] is not ((byte)' ' or (byte)'\r' or (byte)'\n'))
        {
            return false;
        }
        status = (d0 - '0') * 100 + (d1 - '0') * 10 + (d2 - '0');
        return true;
    }

    private static bool ContainsControl(string value)
    {
        foreach (var c in value)
        {
            if (char.IsControl(c))
            {
                return true;
            }
        }
        return false;
    }

    private static string SocketErrorName(SocketError error) => error switch
    {
        SocketError.ConnectionRefused => "connection refused",
        SocketError.ConnectionReset => "connection reset",
        SocketError.HostNotFound or SocketError.NoData or SocketError.TryAgain => "host name did not resolve",
        SocketError.HostUnreachable or SocketError.NetworkUnreachable => "unreachable",
        SocketError.TimedOut => "timed out",
        _ => $"socket error {error}",
    };
}
