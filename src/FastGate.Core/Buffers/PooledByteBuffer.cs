using System.Buffers;

namespace FastGate.Core.Buffers;

/// <summary>
/// A growable byte buffer on <see cref="ArrayPool{T}.Shared"/>, reused across messages: clearing
/// keeps the array (up to <see cref="RetainLimit"/>), so steady traffic writes without renting.
/// Not thread-safe; one owner at a time.
/// </summary>
public sealed class PooledByteBuffer : IBufferWriter<byte>
{
    /// <summary>An array larger than this goes back to the pool on <see cref="Clear"/> rather than be kept.</summary>
    public const int RetainLimit = 64 * 1024;

    private readonly int _retainLimit;
    private byte[] _array = [];
    private int _length;

    public PooledByteBuffer()
        : this(RetainLimit)
    {
    }

    /// <param name="retainLimit">The largest array <see cref="Clear"/> keeps: more than <see cref="RetainLimit"/> for an owner whose steady size is larger (a batch of records).</param>
    public PooledByteBuffer(int retainLimit) => _retainLimit = retainLimit;

    public int Length => _length;
    public ReadOnlySpan<byte> WrittenSpan => _array.AsSpan(0, _length);
    public ReadOnlyMemory<byte> WrittenMemory => _array.AsMemory(0, _length);

    /// <summary>True while a pooled array is held (written bytes wait, or <see cref="Clear"/> kept it).</summary>
    public bool HoldsArray => _array.Length > 0;

    public void Write(ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(GetSpan(bytes.Length));
        _length += bytes.Length;
    }

    public void Advance(int count)
    {
        if ((uint)count > (uint)(_array.Length - _length))
        {
            throw new ArgumentOutOfRangeException(nameof(count));
        }
        _length += count;
    }

    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        Ensure(sizeHint);
        return _array.AsMemory(_length);
    }

    public Span<byte> GetSpan(int sizeHint = 0)
    {
        Ensure(sizeHint);
        return _array.AsSpan(_length);
    }

    /// <summary>Drops the first <paramref name="count"/> bytes, moving the rest to the front.</summary>
    public void Consume(int count)
    {
        if (count >= _length)
        {
            _length = 0;
            return;
        }
        _array.AsSpan(count, _length - count).CopyTo(_array);
        _length -= count;
    }

    /// <summary>Forgets the contents; keeps a modest array for the next use.</summary>
    public void Clear()
    {
        _length = 0;
        if (_array.Length > _retainLimit)
        {
            Release();
        }
    }

    /// <summary>Gives the array back to the pool (an idle owner holds none).</summary>
    public void Release()
    {
        var array = _array;
        _array = [];
        _length = 0;
        if (array.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(array);
        }
    }

    /// <summary>Exchanges contents with <paramref name="other"/> without copying.</summary>
    public void Swap(PooledByteBuffer other)
    {
        (_array, other._array) = (other._array, _array);
        (_length, other._length) = (other._length, _length);
    }

    private void Ensure(int sizeHint)
    {
        var need = _length + Math.Max(sizeHint, 1);
        if (need <= _array.Length)
        {
            return;
        }
        var bigger = ArrayPool<byte>.Shared.Rent(Math.Max(need, Math.Max(256, _array.Length * 2)));
        _array.AsSpan(0, _length).CopyTo(bigger);
        if (_array.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(_array);
        }
        _array = bigger;
    }
}
