using System.IO.Pipelines;
using System.Net.Sockets;
using FastGate.Core.Transport;

namespace FastGate.Proxy.Upstreams;

/// <summary>
/// A TCP connection to an upstream under TLS: the <see cref="System.Net.Security.SslStream"/> reads
/// and writes <see cref="Stream"/> directly, on whichever thread it runs, with no I/O loop of this
/// transport's own between them (one thread hop less each way than a pipe-based socket). Its
/// pipes are thin adapters over the same stream, for whoever wants it as a transport.
/// </summary>
internal sealed class UpstreamSocketTransport : ITransport
{
    private int _disposed;

    public UpstreamSocketTransport(Socket socket)
    {
        Stream = new NetworkStream(socket, ownsSocket: true);
        Input = PipeReader.Create(Stream, new StreamPipeReaderOptions(leaveOpen: true));
        Output = PipeWriter.Create(Stream, new StreamPipeWriterOptions(leaveOpen: true));
    }

    public NetworkStream Stream { get; }

    public PipeReader Input { get; }

    public PipeWriter Output { get; }

    /// <summary>Opens a connection with TCP_NODELAY within <paramref name="timeout"/>.</summary>
    public static async ValueTask<UpstreamSocketTransport> ConnectAsync(System.Net.EndPoint target, TimeSpan timeout)
    {
        var socket = target is System.Net.IPEndPoint ip
            ? new Socket(ip.AddressFamily, SocketType.Stream, ProtocolType.Tcp)
            : new Socket(SocketType.Stream, ProtocolType.Tcp);
        socket.NoDelay = true;
        try
        {
            using var cts = new CancellationTokenSource(timeout);
            await socket.ConnectAsync(target, cts.Token).ConfigureAwait(false);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
        return new UpstreamSocketTransport(socket);
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        Stream.Dispose();
    }
}
