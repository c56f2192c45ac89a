using System.Buffers;

namespace FastGate.Core.Transport.Epoll;

/// <summary>
/// One pinned block of a connection's receive or send queue, linked into a
/// <see cref="ReadOnlySequence{T}"/>. Pinned so a pointer to it can go straight to recv and
/// sendmsg; reused through the loop's <see cref="LoopBufferPool"/>.
/// </summary>
internal sealed class LoopSegment : ReadOnlySequenceSegment<byte>
{
    public LoopSegment(byte[] block, bool pooled)
    {
        Block = block;
        Pooled = pooled;
    }

    public byte[] Block { get; }

    /// <summary>False for a one-off block larger than the pool's size.</summary>
    public bool Pooled { get; }

    /// <summary>Bytes written into <see cref="Block"/>.</summary>
    public int End { get; private set; }

    public int Free => Block.Length - End;

    public LoopSegment? NextSegment => (LoopSegment?)Next;

    public void Start(long runningIndex)
    {
        RunningIndex = runningIndex;
        End = 0;
        Memory = default;
        Next = null;
    }

    public void Commit(int count)
    {
        End += count;
        Memory = Block.AsMemory(0, End);
    }

    public void Unlink() => Next = null;

    public void Link(LoopSegment next)
    {
        next.Start(RunningIndex + End);
        Next = next;
    }
}
