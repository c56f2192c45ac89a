namespace FastGate.Core.Http;

/// <summary>Outcome of <see cref="PathNormalizer.Normalize"/>; anything but <see cref="Ok"/> is answered with 400.</summary>
public enum PathNormalizationResult : byte
{
    Ok,
    /// <summary>A '%' not followed by two hex digits (RFC 3986 section 2.1).</summary>
    InvalidPercentEncoding,
    /// <summary><c>%2F</c>, <c>%5C</c> or <c>\</c> under <see cref="EscapedSlashAction.Reject"/>.</summary>
    EscapedSlash,
}
