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

    public void Dispose() => _connection.Dispose();
}
