using System.Buffers;
using System.Runtime.CompilerServices;
using System.Text;
using FastGate.Proxy.Forwarding;

namespace FastGate.Ai.Providers.Pivot;

/// <summary>Request targets and headers the adapters build from a provider's config.</summary>
internal static class ProviderTarget
{
    private static readonly ConditionalWeakTable<Uri, byte[]> s_basePaths = new();

    /// <summary>
    /// The base URL's path prefix without a trailing slash (<c>https://host/proxy</c> gives <c>/proxy</c>,
    /// a bare host nothing), as bytes computed once per <see cref="Uri"/>: <see cref="Uri.AbsolutePath"/>
    /// builds a new string on every call, and the target is written once per upstream attempt.
    /// </summary>
    public static void WriteBasePath(Uri baseUrl, IBufferWriter<byte> target) =>
        // AbsolutePath is already percent-encoded: ASCII only.
        target.Write(s_basePaths.GetValue(baseUrl, static uri => Encoding.ASCII.GetBytes(uri.AbsolutePath.TrimEnd('/'))));

    /// <summary>
    /// A model name as one path segment (RFC 3986 §3.3 pchar): unreserved characters, sub-delims
    /// and <c>@</c> as they are (so <c>name+opt</c> stays readable), everything else percent-encoded,
    /// <c>/</c> and <c>?</c> included, so a name cannot reach another path or the query.
    /// <paramref name="encodeColon"/> where a <c>:</c> separates a method after the segment
    /// (Gemini's <c>{model}:generateContent</c>), so a name cannot reach another method either.
    /// </summary>
    public static void WritePathSegment(ReadOnlySpan<byte> segment, IBufferWriter<byte> target, bool encodeColon)
    {
        var span = target.GetSpan(segment.Length * 3);
        var at = 0;
        foreach (var b in segment)
        {
            if (IsUnreserved(b) || IsSubDelimOrAt(b) || (b == (byte)':' && !encodeColon))
            {
                span[at++] = b;
            }
            else
            {
                at += PercentEncode(b, span[at..]);
            }
        }
        target.Advance(at);
    }

    /// <summary>A config string (an API version) as a query value: unreserved characters as they are, every other byte percent-encoded.</summary>
    public static void WriteQueryValue(string value, IBufferWriter<byte> target)
    {
        Span<byte> utf8 = stackalloc byte[256];
        var max = Encoding.UTF8.GetMaxByteCount(value.Length);
        var bytes = max <= utf8.Length ? utf8 : new byte[max];
        var length = Encoding.UTF8.GetBytes(value, bytes);
        var span = target.GetSpan(length * 3);
        var at = 0;
        foreach (var b in bytes[..length])
        {
            if (IsUnreserved(b))
            {
                span[at++] = b;
            }
            else
            {
                at += PercentEncode(b, span[at..]);
            }
        }
        target.Advance(at);
    }

    /// <summary>Sets a header to <paramref name="prefix"/> followed by the key, without keeping a string of it.</summary>
    public static void SetHeader(HeaderEdits headers, ReadOnlySpan<byte> name, ReadOnlySpan<byte> prefix, string key)
    {
        var length = prefix.Length + Encoding.UTF8.GetByteCount(key);
        var rented = length <= 512 ? null : ArrayPool<byte>.Shared.Rent(length);
        try
        {
            Span<byte> value = rented ?? stackalloc byte[512];
            prefix.CopyTo(value);
            Encoding.UTF8.GetBytes(key, value[prefix.Length..]);
            headers.Set(name, value[..length]);
            value[..length].Clear();
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    private static bool IsUnreserved(byte b)
        => b is (>= (byte)'a' and <= (byte)'z') or (>= (byte)'A' and <= (byte)'Z') or (>= (byte)'0' and <= (byte)'9')
            or (byte)'-' or (byte)'.' or (byte)'_' or (byte)'~';

    private static bool IsSubDelimOrAt(byte b)
        => b is (byte)'!' or (byte)'$' or (byte)'&' or (byte)'\'' or (byte)'(' or (byte)')' or (byte)'*' or (byte)'+' or (byte)',' or (byte)';' or (byte)'='
            or (byte)'@';

    private static int PercentEncode(byte b, Span<byte> destination)
    {
        destination[0] = (byte)'%';
        destination[1] = Hex(b >> 4);
        destination[2] = Hex(b & 0xF);
        return 3;
    }

    private static byte Hex(int nibble) => (byte)(nibble < 10 ? '0' + nibble : 'A' + nibble - 10);
}
