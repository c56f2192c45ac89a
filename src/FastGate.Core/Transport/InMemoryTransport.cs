using System.IO.Pipelines;
using FastGate.Core.Buffers;

namespace FastGate.Core.Transport;

/// <summary>
/// One end of an in-process connection: what one end writes, the other reads. Continuations run
/// inline, so a write on one side runs the other side's reader before the flush returns; used
/// to drive whole exchanges in benchmarks and tests without sockets.
/// </summary>
public sealed class InMemoryTransport : ITransport
{
    private static readonly PipeOptions Options = new(
        pool: BlockMemoryPool.Default,
        readerScheduler: PipeScheduler.Inline,
        writerScheduler: PipeScheduler.Inline,
        pauseWriterThreshold: 1024 * 1024,
        resumeWriterThreshold: 512 * 1024,
        minimumSegmentSize: BlockMemoryPool.DefaultBlockSize,
        useSynchronizationContext: false);

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
        var toServer = new Pipe(Options);
        var toClient = new Pipe(Options);
        return (new InMemoryTransport(toClient, toServer), new InMemoryTransport(toServer, toClient));
    }

    /// <summary>Closes both directions, as closing a socket would.</summary>
    public void Dispose()
    {
        _incoming.Reader.Complete();
        _outgoing.Writer.Complete();
    }
}
