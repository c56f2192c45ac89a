using System.Buffers;
using System.Buffers.Text;
using System.Runtime.CompilerServices;

namespace FastGate.Core.Buffers;

/// <summary>
/// Writes into an <see cref="IBufferWriter{T}"/> through a cached span, committing in one
/// <see cref="Commit"/>, so writing a head of many small pieces costs one GetSpan per 4 KiB
/// rather than one per piece.
/// </summary>
public ref struct BufferWriter<T> where T : IBufferWriter<byte>
{
    private readonly T _output;
    private Span<byte> _span;
    private int _buffered;
    private long _committed;

    public BufferWriter(T output)
    {
        _output = output;
        _span = output.GetSpan();
        _buffered = 0;
    }

    /// <summary>Bytes written and not yet committed.</summary>
    public readonly int Buffered => _buffered;

    /// <summary>
    /// Bytes committed over the writer's life, including those a write spanning several buffers
    /// committed on its own (which <see cref="Buffered"/> no longer shows).
    /// </summary>
    public readonly long Committed => _committed;

    public void Commit()
    {
        if (_buffered > 0)
        {
            _committed += _buffered;
            _output.Advance(_buffered);
            _buffered = 0;
            _span = default;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Write(scoped ReadOnlySpan<byte> source)
    {
        if (source.Length <= _span.Length - _buffered)
        {
            source.CopyTo(_span.Slice(_buffered));
            _buffered += source.Length;
            return;
        }
        WriteMultiSpan(source);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Write(byte value)
    {
        if (_buffered < _span.Length)
        {
            _span[_buffered++] = value;
            return;
        }
        Ensure(1);
        _span[_buffered++] = value;
    }

    public void WriteDecimal(long value)
    {
        Ensure(20);
        Utf8Formatter.TryFormat(value, _span.Slice(_buffered), out var written);
        _buffered += written;
    }

    public void WriteHex(long value)
    {
        Ensure(16);
        Utf8Formatter.TryFormat(value, _span.Slice(_buffered), out var written, new StandardFormat('x'));
        _buffered += written;
    }

    /// <summary>Makes room for <paramref name="count"/> contiguous bytes.</summary>
    public void Ensure(int count)
    {
        if (_span.Length - _buffered >= count)
        {
            return;
        }
        Commit();
        _span = _output.GetSpan(count);
    }

    private void WriteMultiSpan(scoped ReadOnlySpan<byte> source)
    {
        while (source.Length > 0)
        {
            if (_span.Length - _buffered == 0)
            {
                Commit();
                _span = _output.GetSpan();
            }
            var n = Math.Min(source.Length, _span.Length - _buffered);
            source.Slice(0, n).CopyTo(_span.Slice(_buffered));
            _buffered += n;
            source = source.Slice(n);
        }
    }
}
