using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace FastGate.Ai.Stages;

/// <summary>
/// Tells, in one pass over an OpenAI stream chunk, whether it names an <c>"error"</c> or a
/// <c>"usage"</c> other than the <c>"usage":null</c> every chunk carries once include_usage is
/// asked. Both names have five letters, so a candidate is a quote with another six bytes on:
/// found sixteen places at a time, it leaves a handful per chunk to compare. Searching each name
/// with IndexOf took two passes, each trying every quote of the JSON, and was the largest cost of
/// the pass-through per event (perf on the ai-stream bench).
/// </summary>
internal static class OpenAiChunkScan
{
    /// <summary>
    /// True when the chunk has no <c>"error"</c>, and no <c>"usage"</c> or exactly one followed by
    /// <c>: null</c> (whitespace allowed around the colon).
    /// </summary>
    public static bool NamesNeitherUsageNorError(ReadOnlySpan<byte> data)
    {
        var usages = 0;
        var i = 0;
        if (Vector128.IsHardwareAccelerated && data.Length >= 6 + Vector128<byte>.Count)
        {
            ref var start = ref MemoryMarshal.GetReference(data);
            var quote = Vector128.Create((byte)'"');
            var last = data.Length - 6 - Vector128<byte>.Count;
            for (; i <= last; i += Vector128<byte>.Count)
            {
                var opening = Vector128.Equals(Vector128.LoadUnsafe(ref start, (nuint)i), quote);
                var closing = Vector128.Equals(Vector128.LoadUnsafe(ref start, (nuint)(i + 6)), quote);
                var mask = (opening & closing).ExtractMostSignificantBits();
                while (mask != 0)
                {
                    var at = i + BitOperations.TrailingZeroCount(mask);
                    mask &= mask - 1;
                    if (!Allowed(data, at, ref usages))
                    {
                        return false;
                    }
                }
            }
        }
        for (; i + 6 < data.Length; i++)
        {
            if (data[i] == (byte)'"' && data[i + 6] == (byte)'"' && !Allowed(data, i, ref usages))
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>
    /// The length of the line <paramref name="data"/> starts with (the bytes before its first
    /// <c>\n</c>) when that line names neither, as <see cref="NamesNeitherUsageNorError"/> tells;
    /// -1 when it does, when a <c>\r</c> comes before that <c>\n</c> (an SSE line end of
    /// another shape), or when no <c>\n</c> ends it. One pass finds all three, where a search for
    /// the line's end, the scan of the line and a search of the whole read for a CR were three
    /// (perf on the ai-stream bench).
    /// </summary>
    public static int PlainLineLength(ReadOnlySpan<byte> data)
    {
        var usages = 0;
        var i = 0;
        if (Vector128.IsHardwareAccelerated && data.Length >= 6 + Vector128<byte>.Count)
        {
            ref var start = ref MemoryMarshal.GetReference(data);
            var quote = Vector128.Create((byte)'"');
            var newline = Vector128.Create((byte)'\n');
            var carriageReturn = Vector128.Create((byte)'\r');
            var last = data.Length - 6 - Vector128<byte>.Count;
            for (; i <= last; i += Vector128<byte>.Count)
            {
                var block = Vector128.LoadUnsafe(ref start, (nuint)i);
                var closing = Vector128.Equals(Vector128.LoadUnsafe(ref start, (nuint)(i + 6)), quote);
                var mask = (Vector128.Equals(block, quote) & closing).ExtractMostSignificantBits();
                var ends = (Vector128.Equals(block, newline) | Vector128.Equals(block, carriageReturn)).ExtractMostSignificantBits();
                if (ends != 0)
                {
                    // Only candidates that open before the line's end. One that runs over it has the
                    // \n among its five letters, which names nothing.
                    var end = BitOperations.TrailingZeroCount(ends);
                    mask &= (1u << end) - 1;
                    return data[i + end] == (byte)'\n' && AllAllowed(data, i, mask, ref usages) ? i + end : -1;
                }
                if (!AllAllowed(data, i, mask, ref usages))
                {
                    return -1;
                }
            }
        }
        for (; i < data.Length; i++)
        {
            if (data[i] == (byte)'\n')
            {
                return i;
            }
            if (data[i] == (byte)'\r')
            {
                return -1;
            }
            if (data[i] == (byte)'"' && i + 6 < data.Length && data[i + 6] == (byte)'"' && !Allowed(data, i, ref usages))
            {
                return -1;
            }
        }
        return -1;
    }

    /// <summary>Every candidate of <paramref name="mask"/> (bits from <paramref name="at"/> on) is allowed.</summary>
    private static bool AllAllowed(ReadOnlySpan<byte> data, int at, uint mask, ref int usages)
    {
        while (mask != 0)
        {
            var candidate = at + BitOperations.TrailingZeroCount(mask);
            mask &= mask - 1;
            if (!Allowed(data, candidate, ref usages))
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>"erro" and "usag" read as little-endian integers.</summary>
    private const uint Erro = 0x6F727265;
    private const uint Usag = 0x67617375;

    /// <summary>The quoted five letters at <paramref name="at"/>: anything but "error", or the one "usage" that is null.</summary>
    private static bool Allowed(ReadOnlySpan<byte> data, int at, ref int usages)
    {
        // Four bytes and one compared as integers: most candidates ("model", "index", "delta") differ in the first.
        var head = BinaryPrimitives.ReadUInt32LittleEndian(data.Slice(at + 1, 4));
        var last = data[at + 5];
        if (head == Erro && last == (byte)'r')
        {
            return false;
        }
        if (head != Usag || last != (byte)'e')
        {
            return true;
        }
        if (++usages > 1)
        {
            return false;
        }
        // Every chunk carries this one once include_usage is asked: skipped by hand, as the
        // span TrimStart over a set of bytes was a measured share of the scan (perf, ai-stream c=64).
        var i = SkipBlanks(data, at + 7);
        if (i >= data.Length || data[i] != (byte)':')
        {
            return false;
        }
        i = SkipBlanks(data, i + 1);
        return i + 4 <= data.Length && BinaryPrimitives.ReadUInt32LittleEndian(data.Slice(i, 4)) == Null;
    }

    /// <summary>"null" read as a little-endian integer.</summary>
    private const uint Null = 0x6C6C756E;

    /// <summary>The index of the first byte at or after <paramref name="i"/> that is not a space or a tab.</summary>
    private static int SkipBlanks(ReadOnlySpan<byte> data, int i)
    {
        while (i < data.Length && data[i] is (byte)' ' or (byte)'\t')
        {
            i++;
        }
        return i;
    }
}
