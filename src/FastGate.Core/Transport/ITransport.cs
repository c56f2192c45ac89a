using System.IO.Pipelines;

namespace FastGate.Core.Transport;

/// <summary>A connected byte stream as a duplex pipe; disposing it closes the connection.</summary>
public interface ITransport : IDuplexPipe, IDisposable
{
}
