using System.IO.Pipelines;
using FastGate.Core.Buffers;

namespace FastGate.Core.Transport;

/// <summary>
/// Pipes whose readers and writers resume inline on the thread that completed them, from the
/// shared block pool: for transports whose two ends are both our code (in-memory pairs, the pumps
/// of a stream transport), where a hop to the thread pool per read and per write would cost more
/// than the work it moves.
/// </summary>
internal static class InlinePipeOptions
{
    public static readonly PipeOptions Default = new(
        pool: BlockMemoryPool.Default,
        readerScheduler: PipeScheduler.Inline,
        writerScheduler: PipeScheduler.Inline,
        pauseWriterThreshold: 1024 * 1024,
        resumeWriterThreshold: 512 * 1024,
        minimumSegmentSize: BlockMemoryPool.DefaultBlockSize,
        useSynchronizationContext: false);
}
