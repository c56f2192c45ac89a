using System.Net;

namespace FastGate.Core.Transport;

/// <summary>Opens connections to upstream endpoints (sockets in production, in-memory pipes in benchmarks).</summary>
public interface IUpstreamConnector
{
    /// <summary>Throws <see cref="System.Net.Sockets.SocketException"/> when refused and <see cref="OperationCanceledException"/> on timeout.</summary>
    ValueTask<ITransport> ConnectAsync(EndPoint endPoint, TimeSpan timeout);
}
