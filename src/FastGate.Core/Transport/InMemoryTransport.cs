using System.IO.Pipelines;

namespace FastGate.Core.Transport;

/// <summary>
/// One end of an in-process connection: what one end writes, the other reads. Continuations run
/// inline, so a write on one side runs the other side's reader before the flush returns; used
/// to drive whole exchanges in benchmarks and tests without sockets.
/// </summary>
public sealed class InMemoryTransport : ITransport
{
    private readonly Pipe _incoming;
    private readonly Pipe _outgoing;

    private InMemoryTransport(Pipe incoming, Pipe outgoing)
    {
        _incoming = incoming;
        _outgoing = outgoing;
    }

    public PipeReader Input => _incoming.Reader;
    public PipeWriter Output => _outgoing.Writer;

    public static (InMemoryTransport Client, InMemoryTransport Server) CreatePair()
    {
        var toServer = new Pipe(InlinePipeOptions.Default);
        var toClient = new Pipe(InlinePipeOptions.Default);
        return (new InMemoryTransport(toClient, toServer), new InMemoryTransport(toServer, toClient));
    }

    /// <summary>Closes both directions, as closing a socket would.</summary>
    public void Dispose()
    {
        _incoming.Reader.Complete();
        _outgoing.Writer.Complete();
    }
}
