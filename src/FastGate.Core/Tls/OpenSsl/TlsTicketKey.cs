using System.Security.Cryptography;

namespace FastGate.Core.Tls.OpenSsl;

/// <summary>
/// One session-ticket key: a name a ticket carries in clear (to find the key again), an AES-256
/// key that seals the ticket and an HMAC-SHA256 key that authenticates it. All of it random, and
/// nothing here formats it: the material never reaches a log.
/// </summary>
public sealed class TlsTicketKey
{
    public const int NameLength = 16;
    public const int AesKeyLength = 32;
    public const int HmacKeyLength = 32;

    // name | aes key | hmac key, one array so one fill makes the whole key.
    private readonly byte[] _material = new byte[NameLength + AesKeyLength + HmacKeyLength];

    public TlsTicketKey(long createdTimestamp)
    {
        RandomNumberGenerator.Fill(_material);
        CreatedTimestamp = createdTimestamp;
    }

    /// <summary>When the key was made, on the ring's <see cref="TimeProvider"/> timestamp scale.</summary>
    public long CreatedTimestamp { get; }

    public ReadOnlySpan<byte> Name => _material.AsSpan(0, NameLength);

    internal ReadOnlySpan<byte> AesKey => _material.AsSpan(NameLength, AesKeyLength);

    internal ReadOnlySpan<byte> HmacKey => _material.AsSpan(NameLength + AesKeyLength, HmacKeyLength);

    public override string ToString() => "TlsTicketKey";
}
