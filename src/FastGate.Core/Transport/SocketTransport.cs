using System.Diagnostics;
using System.IO.Pipelines;
using System.Net.Sockets;
using Pipelines.Sockets.Unofficial;

namespace FastGate.Core.Transport;

/// <summary>
/// A socket behind <see cref="SocketPipe"/>'s pipes. Its sender writes from the output pipe on its
/// own time, and disposing the connection drops what the pipe still holds; so disposing waits for
/// what was written to go out first (a peer that does not read holds it up for
/// <see cref="CloseGrace"/> at most), as closing a socket with unsent data in the kernel would.
/// </summary>
public sealed class SocketTransport : ITransport, ISendProgress
{
    private static readonly long CloseGrace = Stopwatch.Frequency * 5;

    private readonly SocketConnection _connection;
    private readonly CountingPipeWriter _output;
    private int _disposed;

    public SocketTransport(Socket socket)
    {
        _connection = SocketPipe.Create(socket);
        _output = new CountingPipeWriter(_connection.Output);
    }

    public PipeReader Input => _connection.Input;
    public PipeWriter Output => _output;

    public long BytesDelivered
    {
        get
        {
            var sent = _connection.BytesSent;
            if (!OperatingSystem.IsLinux())
            {
                return sent;
            }
            try
            {
                return sent - Epoll.Libc.UnacknowledgedBytes((int)_connection.Socket.Handle);
            }
            catch (ObjectDisposedException)
            {
                return sent;
            }
        }
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        if (_connection.BytesSent >= _output.Written)
        {
            _connection.Dispose();
            return;
        }
        _ = DisposeWhenSentAsync();
    }

    private async Task DisposeWhenSentAsync()
    {
        var deadline = Stopwatch.GetTimestamp() + CloseGrace;
        while (_connection.BytesSent < _output.Written && Stopwatch.GetTimestamp() < deadline && _connection.ShutdownKind is not
            (PipeShutdownKind.WriteSocketError or PipeShutdownKind.WriteIOException or PipeShutdownKind.WriteException or PipeShutdownKind.WriteDisposed))
        {
            await Task.Delay(5).ConfigureAwait(false);
        }
        _connection.Dispose();
    }
}
