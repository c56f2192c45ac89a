using System.Buffers;
using System.Text;
using FastGate.Proxy.Forwarding;

namespace FastGate.Ai.Providers.Pivot;

/// <summary>Request targets and headers the adapters build from a provider's config.</summary>
internal static class ProviderTarget
{
    /// <summary>The base URL's path prefix without a trailing slash (nothing for <c>/</c>).</summary>
    public static void WriteBasePath(Uri baseUrl, IBufferWriter<byte> target)
    {
        // AbsolutePath is already percent-encoded: ASCII only.
        var path = baseUrl.AbsolutePath.AsSpan().TrimEnd('/');
        if (path.IsEmpty)
        {
            return;
        }
        var span = target.GetSpan(path.Length);
        var written = Encoding.ASCII.GetBytes(path, span);
        target.Advance(written);
    }

    /// <summary>
    /// A model name as one path segment (RFC 3986 §3.3 pchar): unreserved characters, sub-delims
    /// and <c>@</c> as they are (so <c>name+opt</c> stays readable), everything else percent-encoded,
    /// <c>/</c>, <c>:</c> and <c>?</c> included, so a name cannot reach another path or method.
    /// </summary>
    public static void WritePathSegment(ReadOnlySpan<byte> segment, IBufferWriter<byte> target)
    {
        var span = target.GetSpan(segment.Length * 3);
        var at = 0;
        foreach (var b in segment)
        {
            if (IsPathChar(b))
            {
                span[at++] = b;
            }
            else
            {
                span[at++] = (byte)'%';
                span[at++] = Hex(b >> 4);
                span[at++] = Hex(b & 0xF);
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

    private static bool IsPathChar(byte b)
        => b is (>= (byte)'a' and <= (byte)'z') or (>= (byte)'A' and <= (byte)'Z') or (>= (byte)'0' and <= (byte)'9')
            or (byte)'-' or (byte)'.' or (byte)'_' or (byte)'~'
            or (byte)'!' or (byte)'$' or (byte)'&' or (byte)'\'' or (byte)'(' or (byte)')' or (byte)'*' or (byte)'+' or (byte)',' or (byte)';' or (byte)'='
            or (byte)'@';

    private static byte Hex(int nibble) => (byte)(nibble < 10 ? '0' + nibble : 'A' + nibble - 10);
}
