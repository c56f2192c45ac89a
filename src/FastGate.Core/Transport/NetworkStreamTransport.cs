using System.IO.Pipelines;
using System.Net.Sockets;
namespace FastGate.Core.Transport;

/// <summary>
/// A TCP connection under TLS, either side: the <see cref="System.Net.Security.SslStream"/> reads
/// and writes the socket's <see cref="NetworkStream"/> directly, on whichever thread it runs, with
/// no I/O loop of this transport's own between them (one thread hop less each way than a
/// pipe-based socket, and no trip through an event loop). Its pipes are thin adapters over the
/// same stream, for whoever wants it as a transport.
/// </summary>
public sealed class NetworkStreamTransport : ITransport
{
    private int _disposed;

    public NetworkStreamTransport(Socket socket)
    {
        Stream = new NetworkStream(socket, ownsSocket: true);
        Input = PipeReader.Create(Stream, new StreamPipeReaderOptions(leaveOpen: true));
        Output = PipeWriter.Create(Stream, new StreamPipeWriterOptions(leaveOpen: true));
    }

    public NetworkStream Stream { get; }

    public PipeReader Input { get; }

    public PipeWriter Output { get; }

    /// <summary>Bytes in the socket's send queue the peer has not acknowledged (Linux; 0 elsewhere or once closed).</summary>
    public int UnacknowledgedBytes
    {
        get
        {
            if (!OperatingSystem.IsLinux())
            {
                return 0;
            }
            try
            {
                return Epoll.Libc.UnacknowledgedBytes((int)Stream.Socket.Handle);
            }
            catch (ObjectDisposedException)
            {
                return 0;
            }
        }
    }

    /// <summary>Opens a connection with TCP_NODELAY within <paramref name="timeout"/>.</summary>
    public static async ValueTask<NetworkStreamTransport> ConnectAsync(System.Net.EndPoint target, TimeSpan timeout)
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
        return new NetworkStreamTransport(socket);
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
