using System.Buffers.Text;
using System.Security.Cryptography;

namespace FastGate.Core.WebSockets;

/// <summary>The key and accept values of the opening handshake (RFC 6455 §4.1, §4.2.2).</summary>
public static class WebSocketHandshake
{
    /// <summary>Length of a Sec-WebSocket-Accept value: base64 of a 20-byte SHA-1.</summary>
    public const int AcceptLength = 28;

    /// <summary>Length of a valid Sec-WebSocket-Key: base64 of 16 bytes.</summary>
    public const int KeyLength = 24;

    private static ReadOnlySpan<byte> Guid => "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"u8;

    /// <summary>
    /// True when <paramref name="key"/> is base64 of exactly 16 bytes (§4.1): 22 alphabet characters and
    /// "==". No whitespace, no URL-safe alphabet; the header parser has already trimmed the value.
    /// </summary>
    public static bool IsValidKey(ReadOnlySpan<byte> key)
    {
        if (key.Length != KeyLength || key[22] != (byte)'=' || key[23] != (byte)'=')
        {
            return false;
        }

        for (int i = 0; i < 22; i++)
        {
            if (!IsBase64Char(key[i]))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// Writes base64(SHA-1(key + GUID)) into the first <see cref="AcceptLength"/> bytes of
    /// <paramref name="destination"/>, allocating nothing. Any key length up to 256 bytes is hashed as
    /// given (the upstream's answer must match the key that was sent, valid or not).
    /// </summary>
    public static void ComputeAccept(ReadOnlySpan<byte> key, Span<byte> destination)
    {
        if (key.Length > 256)
        {
            throw new ArgumentException("The key is longer than 256 bytes.", nameof(key));
        }

        if (destination.Length < AcceptLength)
        {
            throw new ArgumentException("Destination is shorter than the accept value.", nameof(destination));
        }

        Span<byte> input = stackalloc byte[256 + 36];
        key.CopyTo(input);
        Guid.CopyTo(input.Slice(key.Length));
        Span<byte> hash = stackalloc byte[SHA1.HashSizeInBytes];
        SHA1.HashData(input.Slice(0, key.Length + Guid.Length), hash);
        Base64.EncodeToUtf8(hash, destination, out _, out _);
    }

    /// <summary>True when <paramref name="accept"/> is exactly the Sec-WebSocket-Accept that <paramref name="key"/> calls for.</summary>
    public static bool IsExpectedAccept(ReadOnlySpan<byte> key, ReadOnlySpan<byte> accept)
    {
        if (accept.Length != AcceptLength || key.Length > 256)
        {
            return false;
        }

        Span<byte> expected = stackalloc byte[AcceptLength];
        ComputeAccept(key, expected);
        return expected.SequenceEqual(accept);
    }

    private static bool IsBase64Char(byte c) =>
        c is >= (byte)'A' and <= (byte)'Z' or >= (byte)'a' and <= (byte)'z' or >= (byte)'0' and <= (byte)'9' or (byte)'+' or (byte)'/';
}
