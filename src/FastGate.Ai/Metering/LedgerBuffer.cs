using System.Buffers;

namespace FastGate.Ai.Metering;

/// <summary>
/// A growable byte buffer on arrays from the shared pool: a record's frame while it is encoded,
/// and the batch of frames waiting for the ledger's writer. Not thread-safe; the owner locks.
/// </summary>
internal sealed class LedgerBuffer : IBufferWriter<byte>
{
    // After a burst, a batch this large goes back to the pool once written rather than stay held.
    private const int KeepBytes = 1024 * 1024;

    private byte[] _array;
    private int _length;

    public LedgerBuffer(int initialSize) => _array = ArrayPool<byte>.Shared.Rent(initialSize);

    public int Length => _length;

    public Span<byte> Written => _array.AsSpan(0, _length);

    public void Advance(int count) => _length += count;

    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        Reserve(sizeHint);
        return _array.AsMemory(_length);
    }

    public Span<byte> GetSpan(int sizeHint = 0)
    {
        Reserve(sizeHint);
        return _array.AsSpan(_length);
    }

    public void Write(ReadOnlySpan<byte> bytes)
    {
        Reserve(bytes.Length);
        bytes.CopyTo(_array.AsSpan(_length));
        _length += bytes.Length;
    }

    /// <summary>Empties the buffer; a large array goes back to the pool for a small one.</summary>
    public void Clear()
    {
        _length = 0;
        if (_array.Length > KeepBytes)
        {
            ArrayPool<byte>.Shared.Return(_array);
            _array = ArrayPool<byte>.Shared.Rent(64 * 1024);
        }
    }

    private void Reserve(int sizeHint)
    {
        var needed = _length + Math.Max(sizeHint, 256);
        if (needed <= _array.Length)
        {
            return;
        }
        var larger = ArrayPool<byte>.Shared.Rent(Math.Max(needed, _array.Length * 2));
        _array.AsSpan(0, _length).CopyTo(larger);
        ArrayPool<byte>.Shared.Return(_array);
        _array = larger;
    }
}
