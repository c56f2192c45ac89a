using System.Buffers;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using FastGate.Core.Tests.Transport.Epoll;
using FastGate.Core.Transport;

namespace FastGate.Core.Tests.Transport;

public sealed class StreamTransportTests
{
    private static X509Certificate2 SelfSigned()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=stream.test", key, HashAlgorithmName.SHA256);
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        return X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pkcs12), null);
    }

    /// <summary>
    /// TLS over an epoll connection: what the server writes and then closes reaches the client
    /// whole, followed by a clean TLS end (close_notify), not a cut connection.
    /// </summary>
    [Fact]
    public async Task Tls_OverEpollConnection_WriteThenDispose_ClientGetsEverythingAndACleanEnd()
    {
        using var harness = new LoopTestHarness();
        var (connection, peer) = await harness.ConnectAsync();
        using var certificate = SelfSigned();
        var server = new SslStream(StreamTransport.AsStream(connection));
        await using var client = new SslStream(new NetworkStream(peer, ownsSocket: true), false, (_, _, _, _) => true);

        await Task.WhenAll(
            server.AuthenticateAsServerAsync(new SslServerAuthenticationOptions { ServerCertificate = certificate }),
            client.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = "stream.test" })).WaitAsync(LoopTestHarness.Bound);
        var transport = new StreamTransport(server, connection);

        await client.WriteAsync("ping"u8.ToArray()).AsTask().WaitAsync(LoopTestHarness.Bound);
        var request = await transport.Input.ReadAsync().AsTask().WaitAsync(LoopTestHarness.Bound);
        Assert.Equal("ping"u8.ToArray(), request.Buffer.ToArray());
        transport.Input.AdvanceTo(request.Buffer.End);

        var response = Enumerable.Range(0, 300_000).Select(i => (byte)i).ToArray();
        await transport.Output.WriteAsync(response).AsTask().WaitAsync(LoopTestHarness.Bound);
        transport.Output.Complete();
        transport.Dispose();

        var received = new MemoryStream();
        await client.CopyToAsync(received).WaitAsync(LoopTestHarness.Bound);
        Assert.Equal(response, received.ToArray());
        await ClosedAsync(connection);
        Assert.Empty(harness.Errors);
    }

    /// <summary>
    /// Waits until the transport has closed the connection on its loop: the loop must outlive
    /// it, or the close would be posted to a loop already gone.
    /// </summary>
    private static async Task ClosedAsync(FastGate.Core.Transport.Epoll.EpollConnection connection)
    {
        using var bound = new CancellationTokenSource(LoopTestHarness.Bound);
        while (!connection.Closed)
        {
            await Task.Delay(10, bound.Token);
        }
    }

    [Fact]
    public async Task PeerCloses_InputCompletes()
    {
        using var harness = new LoopTestHarness();
        var (connection, peer) = await harness.ConnectAsync();
        var transport = new StreamTransport(StreamTransport.AsStream(connection), connection);

        await peer.SendAsync("last words"u8.ToArray()).WaitAsync(LoopTestHarness.Bound);
        peer.Shutdown(SocketShutdown.Send);
        var collected = new List<byte>();
        while (true)
        {
            var result = await transport.Input.ReadAsync().AsTask().WaitAsync(LoopTestHarness.Bound);
            collected.AddRange(result.Buffer.ToArray());
            transport.Input.AdvanceTo(result.Buffer.End);
            if (result.IsCompleted)
            {
                break;
            }
        }

        Assert.Equal("last words"u8.ToArray(), collected.ToArray());
        transport.Dispose();
        peer.Dispose();
        await ClosedAsync(connection);
    }
}
