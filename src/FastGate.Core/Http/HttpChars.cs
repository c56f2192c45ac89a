using System.Buffers;
using System.Runtime.CompilerServices;

namespace FastGate.Core.Http;

/// <summary>Character classes of RFC 9110 section 5.6 / RFC 3986, as lookups that need no string.</summary>
public static class HttpChars
{
    /// <summary>tchar (RFC 9110 section 5.6.2): "!" / "#" / "$" / "%" / "&amp;" / "'" / "*" / "+" / "-" / "." / "^" / "_" / "`" / "|" / "~" / DIGIT / ALPHA.</summary>
    public static readonly SearchValues<byte> Token = SearchValues.Create(
        "!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"u8);

    /// <summary>
    /// Bytes not allowed in a field value (RFC 9110 section 5.5): every CTL except HTAB, and DEL.
    /// obs-text (0x80-0xFF) is allowed: recipients must accept it, and we forward it unchanged.
    /// </summary>
    public static readonly SearchValues<byte> InvalidFieldValue = SearchValues.Create(
        [0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x0A, 0x0B, 0x0C, 0x0D, 0x0E, 0x0F,
         0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1A, 0x1B, 0x1C, 0x1D, 0x1E, 0x1F, 0x7F]);

    /// <summary>Bytes allowed in a request-target: visible ASCII without '#' (a fragment is never sent, RFC 9112 section 3.2).</summary>
    public static readonly SearchValues<byte> TargetChar = SearchValues.Create(
        "!\"$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~"u8);

    /// <summary>reg-name bytes of RFC 3986 section 3.2.2: unreserved / pct-encoded ('%') / sub-delims.</summary>
    public static readonly SearchValues<byte> RegName = SearchValues.Create(
        "-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz!$&'()*+,;=%"u8);

    /// <summary>Bytes of an IP-literal between the brackets (IPv6address / IPvFuture, RFC 3986 section 3.2.2).</summary>
    public static readonly SearchValues<byte> IpLiteral = SearchValues.Create(
        "0123456789ABCDEFabcdef:.vV-._~!$&'()*+,;="u8);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool IsToken(ReadOnlySpan<byte> s) => s.Length > 0 && !s.ContainsAnyExcept(Token);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool IsTokenChar(byte b) => Token.Contains(b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool IsWhitespace(byte b) => b == (byte)' ' || b == (byte)'\t';

    /// <summary>Removes leading and trailing OWS (SP / HTAB).</summary>
    public static ReadOnlySpan<byte> TrimOws(ReadOnlySpan<byte> s)
    {
        int start = 0;
        while (start < s.Length && IsWhitespace(s[start])) start++;
        int end = s.Length;
        while (end > start && IsWhitespace(s[end - 1])) end--;
        return s[start..end];
    }

    /// <summary>
    /// Validates an authority as used in Host and absolute-form targets: uri-host [ ":" port ] (RFC 9110 section 7.2,
    /// RFC 3986 section 3.2). No userinfo ('@' is not in the sets), no whitespace, non-empty host, port at most 5 digits.
    /// </summary>
    public static bool IsValidAuthority(ReadOnlySpan<byte> s)
    {
        if (s.IsEmpty) return false;
        ReadOnlySpan<byte> rest;
        if (s[0] == (byte)'[')
        {
            int close = s.IndexOf((byte)']');
            if (close < 2) return false;
            var literal = s[1..close];
            if (literal.ContainsAnyExcept(IpLiteral) || literal.IndexOf((byte)':') < 0 && literal[0] is not ((byte)'v' or (byte)'V')) return false;
            rest = s[(close + 1)..];
        }
        else
        {
            int colon = s.IndexOf((byte)':');
            var host = colon < 0 ? s : s[..colon];
            if (host.IsEmpty || host.ContainsAnyExcept(RegName)) return false;
            rest = colon < 0 ? default : s[colon..];
        }
        if (rest.IsEmpty) return true;
        if (rest[0] != (byte)':') return false;
        var port = rest[1..];
        return port.Length <= 5 && !port.ContainsAnyExceptInRange((byte)'0', (byte)'9');
    }
}
