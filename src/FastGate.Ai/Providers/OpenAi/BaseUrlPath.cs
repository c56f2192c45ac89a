using System.Buffers;
using System.Runtime.CompilerServices;
using System.Text;

namespace FastGate.Ai.Providers.OpenAi;

/// <summary>
/// The path prefix of a provider's <c>base_url</c> (<c>https://host/proxy</c> gives <c>/proxy</c>, a bare host
/// gives nothing), as UTF-8 bytes computed once per <see cref="Uri"/>: <see cref="Uri.AbsolutePath"/> builds a
/// new string on every call, and the target is written once per upstream attempt.
/// </summary>
internal static class BaseUrlPath
{
    private static readonly ConditionalWeakTable<Uri, byte[]> s_prefixes = new();

    public static void Write(Uri baseUrl, IBufferWriter<byte> target) =>
        target.Write(s_prefixes.GetValue(baseUrl, static uri => Encoding.UTF8.GetBytes(uri.AbsolutePath.TrimEnd('/'))));

    /// <summary>Writes ASCII text (a path segment of ours, an API version) as bytes.</summary>
    public static void WriteAscii(ReadOnlySpan<char> text, IBufferWriter<byte> target)
    {
        var span = target.GetSpan(text.Length);
        var written = Encoding.UTF8.GetBytes(text, span);
        target.Advance(written);
    }

    /// <summary>
    /// Writes <paramref name="value"/> as one path segment (RFC 3986 pchar: unreserved, sub-delims, ':' and '@'
    /// as they are, so a name like <c>m+tokens-20</c> stays readable) or as a query value (unreserved only);
    /// every other byte percent-encoded, so a model name cannot add a path segment or a query parameter.
    /// </summary>
    public static void WriteEncoded(ReadOnlySpan<byte> value, IBufferWriter<byte> target, bool pathSegment = false)
    {
        var span = target.GetSpan(value.Length * 3);
        var at = 0;
        foreach (var b in value)
        {
            if (IsUnreserved(b) || pathSegment && IsSegmentSafe(b))
            {
                span[at++] = b;
            }
            else
            {
                span[at++] = (byte)'%';
                span[at++] = (byte)"0123456789ABCDEF"[b >> 4];
                span[at++] = (byte)"0123456789ABCDEF"[b & 0xF];
            }
        }
        target.Advance(at);
    }

    /// <summary>Same as <see cref="WriteEncoded(ReadOnlySpan{byte}, IBufferWriter{byte})"/> for a config string (ASCII in practice).</summary>
    public static void WriteEncoded(string value, IBufferWriter<byte> target)
    {
        Span<byte> utf8 = stackalloc byte[256];
        var max = Encoding.UTF8.GetMaxByteCount(value.Length);
        var bytes = max <= utf8.Length ? utf8 : new byte[max];
        var length = Encoding.UTF8.GetBytes(value, bytes);
        WriteEncoded(bytes[..length], target);
    }

    private static bool IsSegmentSafe(byte b) =>
        b is (byte)'!' or (byte)'$' or (byte)'&' or (byte)'\'' or (byte)'(' or (byte)')' or (byte)'*' or (byte)'+'
            or (byte)',' or (byte)';' or (byte)'=' or (byte)':' or (byte)'@';

    private static bool IsUnreserved(byte b) =>
        b is >= (byte)'a' and <= (byte)'z' or >= (byte)'A' and <= (byte)'Z' or >= (byte)'0' and <= (byte)'9'
            or (byte)'-' or (byte)'.' or (byte)'_' or (byte)'~';
}
