using System.Text;

namespace FastGate.Ai.Providers.Pivot;

/// <summary>
/// The image URLs of pivot content: <c>data:</c> URLs (RFC 2397) carrying base64 bytes, and
/// http(s) URLs whose media type is guessed from the file extension for providers that want one.
/// </summary>
internal static class DataUrl
{
    /// <summary>
    /// Splits <c>data:MEDIATYPE[;params];base64,DATA</c>. False for anything else, including a
    /// data URL that is not base64 (no provider takes percent-encoded bytes).
    /// </summary>
    public static bool TryParse(ReadOnlySpan<byte> url, out ReadOnlySpan<byte> mediaType, out ReadOnlySpan<byte> base64)
    {
        mediaType = default;
        base64 = default;
        if (url.Length < 5 || !Ascii.EqualsIgnoreCase(url[..5], "data:"u8))
        {
            return false;
        }
        var comma = url.IndexOf((byte)',');
        if (comma < 0)
        {
            return false;
        }
        var meta = url[5..comma];
        if (meta.Length < 7 || !Ascii.EqualsIgnoreCase(meta[^7..], ";base64"u8))
        {
            return false;
        }
        meta = meta[..^7];
        var semicolon = meta.IndexOf((byte)';');
        mediaType = semicolon < 0 ? meta : meta[..semicolon];
        if (mediaType.IsEmpty)
        {
            // RFC 2397 §2: an omitted media type means text/plain, which is no image; octet-stream says "unknown" honestly.
            mediaType = "application/octet-stream"u8;
        }
        base64 = url[(comma + 1)..];
        return true;
    }

    public static bool IsHttp(ReadOnlySpan<byte> url)
        => (url.Length > 7 && Ascii.EqualsIgnoreCase(url[..7], "http://"u8))
        || (url.Length > 8 && Ascii.EqualsIgnoreCase(url[..8], "https://"u8));

    /// <summary>
    /// The media type of the file an http(s) URL names, by the extension of its path (query and
    /// fragment ignored). Unknown extensions give <c>image/jpeg</c>: these URLs come from
    /// <c>image_url</c> parts, and JPEG is what most photos are.
    /// </summary>
    public static ReadOnlySpan<byte> GuessMediaType(ReadOnlySpan<byte> url)
    {
        var end = url.IndexOfAny((byte)'?', (byte)'#');
        var path = end < 0 ? url : url[..end];
        var slash = path.LastIndexOf((byte)'/');
        var dot = path.LastIndexOf((byte)'.');
        if (dot < 0 || dot < slash)
        {
            return "image/jpeg"u8;
        }
        var extension = path[(dot + 1)..];
        if (Ascii.EqualsIgnoreCase(extension, "png"u8)) return "image/png"u8;
        if (Ascii.EqualsIgnoreCase(extension, "gif"u8)) return "image/gif"u8;
        if (Ascii.EqualsIgnoreCase(extension, "webp"u8)) return "image/webp"u8;
        if (Ascii.EqualsIgnoreCase(extension, "heic"u8)) return "image/heic"u8;
        if (Ascii.EqualsIgnoreCase(extension, "heif"u8)) return "image/heif"u8;
        if (Ascii.EqualsIgnoreCase(extension, "pdf"u8)) return "application/pdf"u8;
        if (Ascii.EqualsIgnoreCase(extension, "mp3"u8)) return "audio/mp3"u8;
        if (Ascii.EqualsIgnoreCase(extension, "wav"u8)) return "audio/wav"u8;
        if (Ascii.EqualsIgnoreCase(extension, "mp4"u8)) return "video/mp4"u8;
        return "image/jpeg"u8;
    }
}
