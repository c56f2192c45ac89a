using System.Runtime.CompilerServices;

namespace FastGate.Core.Http;

/// <summary>
/// Normalizes a request path before it is routed and forwarded, as Envoy's <c>normalize_path</c>,
/// <c>merge_slashes</c> and <c>path_with_escaped_slashes_action</c> do. Without it <c>/pub/../admin</c>
/// (or <c>/pub/%2e%2e/admin</c>) matches a <c>/pub/</c> route and the upstream resolves it to
/// <c>/admin</c>: a route-based access rule is bypassed.
/// </summary>
/// <remarks>
/// Steps, in order: percent-encoded unreserved characters (ALPHA / DIGIT / "-" / "." / "_" / "~") are
/// decoded and the hex digits of other escapes upper-cased (RFC 3986 sections 6.2.2.1 and 6.2.2.2);
/// dot segments are removed (RFC 3986 section 5.2.4, never above the root); optionally runs of '/'
/// become one. The output is never longer than the input, so it may be written over it.
/// </remarks>
public static class PathNormalizer
{
    /// <summary>
    /// False when <see cref="Normalize"/> would return <paramref name="path"/> unchanged and Ok: no escape,
    /// no backslash, no segment starting with '.', and (when merging) no "//". A cheap pre-check for the
    /// common path.
    /// </summary>
    public static bool NeedsNormalization(ReadOnlySpan<byte> path, bool mergeSlashes) =>
        path.IndexOfAny((byte)'%', (byte)'\\') >= 0
        || path.IndexOf("/."u8) >= 0
        || (mergeSlashes && path.IndexOf("//"u8) >= 0);

    /// <summary>
    /// Writes the normalized form of <paramref name="path"/> (which starts with '/') to
    /// <paramref name="destination"/>, at least as long as the path; it may be the path's own bytes.
    /// </summary>
    public static PathNormalizationResult Normalize(ReadOnlySpan<byte> path, Span<byte> destination, bool mergeSlashes, EscapedSlashAction escapedSlashes, out int written)
    {
        written = 0;
        var result = DecodeUnreserved(path, destination, escapedSlashes == EscapedSlashAction.Reject, out int length);
        if (result != PathNormalizationResult.Ok)
        {
            return result;
        }
        if (length > 0 && destination[0] == (byte)'/')
        {
            length = RemoveDotSegments(destination[..length]);
            if (mergeSlashes)
            {
                // After dot segments, as Envoy does: "/a//../b" is "/a/b" either way.
                length = MergeSlashes(destination[..length]);
            }
        }
        written = length;
        return PathNormalizationResult.Ok;
    }

    /// <summary>Pass 1: decodes unreserved escapes, upper-cases the others; the write index never passes the read index.</summary>
    private static PathNormalizationResult DecodeUnreserved(ReadOnlySpan<byte> source, Span<byte> destination, bool rejectSlashes, out int written)
    {
        int w = 0;
        for (int r = 0; r < source.Length; r++)
        {
            byte b = source[r];
            if (b == (byte)'%')
            {
                if (r + 2 >= source.Length)
                {
                    written = 0;
                    return PathNormalizationResult.InvalidPercentEncoding;
                }
                int hi = HexValue(source[r + 1]);
                int lo = HexValue(source[r + 2]);
                if ((hi | lo) < 0)
                {
                    written = 0;
                    return PathNormalizationResult.InvalidPercentEncoding;
                }
                byte decoded = (byte)((hi << 4) | lo);
                r += 2;
                if (IsUnreserved(decoded))
                {
                    destination[w++] = decoded;
                    continue;
                }
                if (rejectSlashes && decoded is (byte)'/' or (byte)'\\')
                {
                    written = 0;
                    return PathNormalizationResult.EscapedSlash;
                }
                destination[w] = (byte)'%';
                destination[w + 1] = UpperHex(hi);
                destination[w + 2] = UpperHex(lo);
                w += 3;
                continue;
            }
            if (b == (byte)'\\' && rejectSlashes)
            {
                written = 0;
                return PathNormalizationResult.EscapedSlash;
            }
            destination[w++] = b;
        }
        written = w;
        return PathNormalizationResult.Ok;
    }

    /// <summary>
    /// Pass 2, in place: RFC 3986 section 5.2.4 over '/'-separated segments. The output is kept as
    /// "/seg" pieces, so ".." drops back to the previous '/', and a final "." or ".." leaves a trailing
    /// '/' ("/a/b/.." is "/a/"). An empty segment is a segment ("/a//.." is "/a/").
    /// </summary>
    private static int RemoveDotSegments(Span<byte> path)
    {
        int w = 0;
        int r = 0;
        while (r < path.Length)
        {
            // path[r] is the '/' before a segment.
            int segmentStart = r + 1;
            int next = path[segmentStart..].IndexOf((byte)'/');
            int segmentEnd = next < 0 ? path.Length : segmentStart + next;
            bool last = next < 0;
            int segmentLength = segmentEnd - segmentStart;
            if (segmentLength == 1 && path[segmentStart] == (byte)'.')
            {
                if (last)
                {
                    path[w++] = (byte)'/';
                }
            }
            else if (segmentLength == 2 && path[segmentStart] == (byte)'.' && path[segmentStart + 1] == (byte)'.')
            {
                int previous = path[..w].LastIndexOf((byte)'/');
                w = previous < 0 ? 0 : previous;
                if (last)
                {
                    path[w++] = (byte)'/';
                }
            }
            else
            {
                // Overlapping copy towards the front: Span.CopyTo is a memmove.
                path[r..segmentEnd].CopyTo(path[w..]);
                w += segmentEnd - r;
            }
            r = segmentEnd;
        }
        return w;
    }

    /// <summary>Pass 3, in place: each run of '/' becomes one.</summary>
    private static int MergeSlashes(Span<byte> path)
    {
        int w = 0;
        for (int r = 0; r < path.Length; r++)
        {
            byte b = path[r];
            if (b == (byte)'/' && w > 0 && path[w - 1] == (byte)'/')
            {
                continue;
            }
            path[w++] = b;
        }
        return w;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool IsUnreserved(byte b) =>
        char.IsAsciiLetterOrDigit((char)b) || b is (byte)'-' or (byte)'.' or (byte)'_' or (byte)'~';

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int HexValue(byte b) => b switch
    {
        >= (byte)'0' and <= (byte)'9' => b - '0',
        >= (byte)'A' and <= (byte)'F' => b - 'A' + 10,
        >= (byte)'a' and <= (byte)'f' => b - 'a' + 10,
        _ => -1,
    };

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static byte UpperHex(int value) => (byte)(value < 10 ? '0' + value : 'A' + value - 10);
}
