using System.Text;

namespace FastGate.Core.Http;

/// <summary>Recognises <see cref="KnownHeader"/> names from bytes: a switch on the length, then one case-insensitive compare.</summary>
public static class KnownHeaders
{
    public static KnownHeader Lookup(ReadOnlySpan<byte> name)
    {
        // Field names are case-insensitive (RFC 9110 section 5.1).
        switch (name.Length)
        {
            case 2:
                return Ascii.EqualsIgnoreCase(name, "te"u8) ? KnownHeader.Te : KnownHeader.Other;
            case 3:
                return Ascii.EqualsIgnoreCase(name, "via"u8) ? KnownHeader.Via : KnownHeader.Other;
            case 4:
                return Ascii.EqualsIgnoreCase(name, "host"u8) ? KnownHeader.Host : KnownHeader.Other;
            case 6:
                return Ascii.EqualsIgnoreCase(name, "expect"u8) ? KnownHeader.Expect : KnownHeader.Other;
            case 7:
                if (Ascii.EqualsIgnoreCase(name, "upgrade"u8)) return KnownHeader.Upgrade;
                if (Ascii.EqualsIgnoreCase(name, "trailer"u8)) return KnownHeader.Trailer;
                return KnownHeader.Other;
            case 10:
                if (Ascii.EqualsIgnoreCase(name, "connection"u8)) return KnownHeader.Connection;
                if (Ascii.EqualsIgnoreCase(name, "keep-alive"u8)) return KnownHeader.KeepAlive;
                return KnownHeader.Other;
            case 14:
                return Ascii.EqualsIgnoreCase(name, "content-length"u8) ? KnownHeader.ContentLength : KnownHeader.Other;
            case 15:
                return Ascii.EqualsIgnoreCase(name, "x-forwarded-for"u8) ? KnownHeader.XForwardedFor : KnownHeader.Other;
            case 16:
                if (Ascii.EqualsIgnoreCase(name, "proxy-connection"u8)) return KnownHeader.ProxyConnection;
                if (Ascii.EqualsIgnoreCase(name, "x-forwarded-host"u8)) return KnownHeader.XForwardedHost;
                return KnownHeader.Other;
            case 17:
                if (Ascii.EqualsIgnoreCase(name, "transfer-encoding"u8)) return KnownHeader.TransferEncoding;
                if (Ascii.EqualsIgnoreCase(name, "x-forwarded-proto"u8)) return KnownHeader.XForwardedProto;
                return KnownHeader.Other;
            case 18:
                return Ascii.EqualsIgnoreCase(name, "proxy-authenticate"u8) ? KnownHeader.ProxyAuthenticate : KnownHeader.Other;
            case 19:
                return Ascii.EqualsIgnoreCase(name, "proxy-authorization"u8) ? KnownHeader.ProxyAuthorization : KnownHeader.Other;
            default:
                return KnownHeader.Other;
        }
    }

    /// <summary>
    /// True for a name that is not Content-Length or Transfer-Encoding but reads as one when '-' and '_' are
    /// ignored ("Transfer_Encoding", "Content--Length"). Some servers and CGI gateways fold '_' to '-', so
    /// forwarding such a field next to a real framing field lets the back end see a different body length.
    /// </summary>
    public static bool IsFramingLookAlike(ReadOnlySpan<byte> name)
    {
        return name.Length >= 14 && (MatchesIgnoringSeparators(name, "contentlength"u8) || MatchesIgnoringSeparators(name, "transferencoding"u8));
    }

    private static bool MatchesIgnoringSeparators(ReadOnlySpan<byte> name, ReadOnlySpan<byte> letters)
    {
        int j = 0;
        foreach (byte b in name)
        {
            if (b == (byte)'-' || b == (byte)'_')
            {
                continue;
            }
            if (j == letters.Length || (b | 0x20) != letters[j])
            {
                return false;
            }
            j++;
        }
        return j == letters.Length;
    }
}
