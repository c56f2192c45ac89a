using System.IO.Pipelines;
using System.Net.Sockets;
using Pipelines.Sockets.Unofficial;

namespace FastGate.Core.Transport;

/// <summary>A socket behind <see cref="SocketPipe"/>'s pipes.</summary>
public sealed class SocketTransport(Socket socket) : ITransport
{
    private readonly SocketConnection _connection = SocketPipe.Create(socket);

    public PipeReader Input => _connection.Input;
    public PipeWriter Output => _connection.Output;

    /// <summary>
    /// Bytes the socket has sent so far. A completed <see cref="Output"/> still sends what its pipe
    /// holds, and disposing drops that: a caller that must not lose the tail waits for this first.
    /// </summary>
    public long BytesSent => _connection.BytesSent;

    public void Dispose() => _connection.Dispose();
}
