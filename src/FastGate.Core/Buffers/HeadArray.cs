using System.Buffers;

namespace FastGate.Core.Buffers;

/// <summary>
/// The array a message head is copied into, kept by its owner (a pooled exchange) from one
/// message to the next. Renting a fresh array from <see cref="ArrayPool{T}.Shared"/> per head
/// allocates under concurrency: the shared pool caches a few dozen arrays per size per core, so
/// on one core with a hundred exchanges in flight most returns are dropped and most rents are
/// new arrays. A head of modest size keeps its array; a larger one goes back after its message.
/// A mutable struct: hold it in a field and call it in place.
/// </summary>
public struct HeadArray
{
    /// <summary>Arrays up to this size stay with their owner between messages.</summary>
    public const int RetainLimit = 4096;

    /// <summary>The smallest array rented, so that common heads never need a second one.</summary>
    private const int MinimumLength = 1024;

    private byte[]? _array;

    /// <summary>An array of at least <paramref name="length"/> bytes, the kept one when it is large enough. Its earlier contents are gone.</summary>
    public byte[] Get(int length)
    {
        if (_array is { } array && array.Length >= length)
        {
            return array;
        }
        Drop();
        return _array = ArrayPool<byte>.Shared.Rent(Math.Max(length, MinimumLength));
    }

    /// <summary>
    /// An array of at least <paramref name="length"/> bytes that starts with the first
    /// <paramref name="keep"/> bytes of the current one (a head that grows in place).
    /// </summary>
    public byte[] Grow(int length, int keep)
    {
        if (_array is { } array && array.Length >= length)
        {
            return array;
        }
        var bigger = ArrayPool<byte>.Shared.Rent(Math.Max(length, MinimumLength));
        if (_array is { } old)
        {
            old.AsSpan(0, keep).CopyTo(bigger);
            ArrayPool<byte>.Shared.Return(old);
        }
        return _array = bigger;
    }

    /// <summary>The message is done with its head: an oversized array goes back, a modest one stays.</summary>
    public void Done()
    {
        if (_array is { Length: > RetainLimit })
        {
            Drop();
        }
    }

    /// <summary>Gives the array back (the owner leaves its pool for good).</summary>
    public void Drop()
    {
        if (_array is { } array)
        {
            _array = null;
            ArrayPool<byte>.Shared.Return(array);
        }
    }
}
