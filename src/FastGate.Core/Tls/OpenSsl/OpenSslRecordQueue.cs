using System.Buffers;

namespace FastGate.Core.Tls.OpenSsl;

/// <summary>
/// Bytes waiting on one side of a session driven by <see cref="OpenSslServerSession.Feed"/> and
/// <see cref="OpenSslServerSession.TakeOutput"/> (a stream over the socket, tests): the peer's
/// bytes not read yet, or records not taken yet. The buffer is rented while bytes wait and goes
/// back to the pool as soon as the queue is empty, so an idle connection holds none.
/// One caller at a time, as the session.
/// </summary>
internal sealed class OpenSslRecordQueue : IBufferWriter<byte>
{
    private const int MinimumSize = 4096;

    private byte[]? _buffer;
    private int _start;
    private int _end;

    public int Length => _end - _start;

    /// <summary>True while a rented buffer is held (bytes wait).</summary>
    public bool HoldsBuffer => _buffer is not null;

    /// <summary>What waits, valid until the queue changes.</summary>
    public ReadOnlySequence<byte> Content => _buffer is null ? ReadOnlySequence<byte>.Empty : new ReadOnlySequence<byte>(_buffer, _start, _end - _start);

    public void Append(ReadOnlySpan<byte> bytes)
    {
        if (bytes.IsEmpty)
        {
            return;
        }
        bytes.CopyTo(GetSpan(bytes.Length));
        Advance(bytes.Length);
    }

    /// <summary>Moves up to <paramref name="destination"/>'s length of the waiting bytes into it.</summary>
    public int Take(Span<byte> destination)
    {
        var count = Math.Min(destination.Length, Length);
        if (count > 0)
        {
            _buffer.AsSpan(_start, count).CopyTo(destination);
            Consume(count);
        }
        return count;
    }

    /// <summary>Drops the first <paramref name="count"/> waiting bytes; the buffer goes back once none wait.</summary>
    public void Consume(int count)
    {
        _start += count;
        if (_start >= _end)
        {
            Release();
        }
    }

    public void Advance(int count) => _end += count;

    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        Reserve(Math.Max(sizeHint, 1));
        return _buffer.AsMemory(_end);
    }

    public Span<byte> GetSpan(int sizeHint = 0)
    {
        Reserve(Math.Max(sizeHint, 1));
        return _buffer.AsSpan(_end);
    }

    public void Release()
    {
        var buffer = _buffer;
        _buffer = null;
        _start = _end = 0;
        if (buffer is not null)
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private void Reserve(int size)
    {
        if (_buffer is null)
        {
            _buffer = ArrayPool<byte>.Shared.Rent(Math.Max(size, MinimumSize));
            return;
        }
        if (_buffer.Length - _end >= size)
        {
            return;
        }
        var length = Length;
        var target = _buffer;
        if (length + size > _buffer.Length)
        {
            target = ArrayPool<byte>.Shared.Rent(Math.Max(_buffer.Length * 2, length + size));
        }
        _buffer.AsSpan(_start, length).CopyTo(target);
        if (!ReferenceEquals(target, _buffer))
        {
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = target;
        }
        _start = 0;
        _end = length;
    }
}
