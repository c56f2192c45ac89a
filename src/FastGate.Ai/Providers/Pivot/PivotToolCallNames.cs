using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using FastGate.Ai.Json;

namespace FastGate.Ai.Providers.Pivot;

/// <summary>
/// The tool calls met so far in a pivot request, id to function name, so a later <c>tool</c>
/// message (which carries only the call's id) can name the function, as Gemini's
/// <c>functionResponse</c> and Ollama's <c>tool_name</c> need. Ranges into the pivot in one
/// rented array; ids are compared as their raw JSON text. The newest call with an id wins: ids
/// this gateway generates may repeat across the turns of one conversation.
/// </summary>
internal struct PivotToolCallNames
{
    private int[]? _ranges;
    private int _count;

    /// <summary>Records a call; <paramref name="id"/> and <paramref name="name"/> are JSON strings inside <paramref name="pivot"/>.</summary>
    public void Add(ReadOnlySpan<byte> pivot, RawJson id, RawJson name)
    {
        if (!id.IsString || !name.IsString)
        {
            return;
        }
        if (_ranges is null || _count * 4 == _ranges.Length)
        {
            var bigger = ArrayPool<int>.Shared.Rent(Math.Max(16, _count * 8));
            if (_ranges is not null)
            {
                _ranges.AsSpan(0, _count * 4).CopyTo(bigger);
                ArrayPool<int>.Shared.Return(_ranges);
            }
            _ranges = bigger;
        }
        var at = _count++ * 4;
        _ranges[at] = OffsetIn(pivot, id.Bytes);
        _ranges[at + 1] = id.Bytes.Length;
        _ranges[at + 2] = OffsetIn(pivot, name.Bytes);
        _ranges[at + 3] = name.Bytes.Length;
    }

    /// <summary>The name (a JSON string, quotes included) of the newest call with this id; empty when none.</summary>
    public readonly ReadOnlySpan<byte> NameOf(ReadOnlySpan<byte> pivot, RawJson id)
    {
        if (!id.IsString || _ranges is null)
        {
            return default;
        }
        for (var i = _count - 1; i >= 0; i--)
        {
            var at = i * 4;
            if (pivot.Slice(_ranges[at], _ranges[at + 1]).SequenceEqual(id.Bytes))
            {
                return pivot.Slice(_ranges[at + 2], _ranges[at + 3]);
            }
        }
        return default;
    }

    public void Dispose()
    {
        if (_ranges is not null)
        {
            ArrayPool<int>.Shared.Return(_ranges);
            _ranges = null;
        }
        _count = 0;
    }

    private static int OffsetIn(ReadOnlySpan<byte> document, ReadOnlySpan<byte> part)
        => (int)Unsafe.ByteOffset(ref MemoryMarshal.GetReference(document), ref MemoryMarshal.GetReference(part));
}
