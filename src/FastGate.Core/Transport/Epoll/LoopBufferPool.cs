namespace FastGate.Core.Transport.Epoll;

/// <summary>
/// The blocks of one loop's connections. Only the loop thread rents and returns, so a plain
/// stack serves with no lock. Connections rent when bytes are ready and give back once they are
/// consumed or sent, so the pool holds what the busiest moment needed, up to a cap.
/// </summary>
internal sealed class LoopBufferPool(int blockSize, int maxPooled)
{
    private readonly Stack<LoopSegment> _free = new();

    public int BlockSize => blockSize;

    public LoopSegment Rent(int minimum = 0)
    {
        if (minimum > blockSize)
        {
            return new LoopSegment(GC.AllocateUninitializedArray<byte>(minimum, pinned: true), pooled: false);
        }
        if (_free.TryPop(out var segment))
        {
            return segment;
        }
        return new LoopSegment(GC.AllocateUninitializedArray<byte>(blockSize, pinned: true), pooled: true);
    }

    public void Return(LoopSegment segment)
    {
        if (segment.Pooled && _free.Count < maxPooled)
        {
            segment.Start(0);
            _free.Push(segment);
        }
    }

    /// <summary>Returns <paramref name="first"/> and every segment linked after it.</summary>
    public void ReturnAll(LoopSegment? first)
    {
        while (first is not null)
        {
            var next = first.NextSegment;
            Return(first);
            first = next;
        }
    }
}
