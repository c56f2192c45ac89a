using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace FastGate.Proxy.Config;

/// <summary>
/// The SHA-256 of a credential (an API key, a basic-auth user name or password), as four words
/// so it can key a dictionary by value. The model keeps only these: a dump of the process or of
/// the snapshot shows no secret, and a request's credential is hashed into one on the stack, so
/// looking it up allocates nothing. Equality here is ordinary (it runs on hashes, whose timing
/// says nothing useful about the secret); the final check of a match uses
/// <see cref="FixedTimeEquals"/>.
/// </summary>
[StructLayout(LayoutKind.Sequential)]
public readonly struct CredentialHash : IEquatable<CredentialHash>
{
    public const int Size = 32;

    private readonly ulong _a, _b, _c, _d;

    private CredentialHash(ReadOnlySpan<byte> digest)
    {
        var words = MemoryMarshal.Cast<byte, ulong>(digest);
        _a = words[0];
        _b = words[1];
        _c = words[2];
        _d = words[3];
    }

    public static CredentialHash Of(ReadOnlySpan<byte> credential)
    {
        // Managed rounds rather than OpenSSL: for a key of a block or two the native calls cost
        // more than the hashing (see Sha256).
        Span<byte> digest = stackalloc byte[Size];
        Sha256.Hash(credential, digest);
        return new CredentialHash(digest);
    }

    public static CredentialHash Of(string credential) => Of(System.Text.Encoding.UTF8.GetBytes(credential));

    /// <summary>
    /// Compares all 32 bytes whatever they hold, so the time taken says nothing about where they
    /// differ: the differences of the four words are folded into one before the single test.
    /// (CryptographicOperations.FixedTimeEquals does the same byte by byte in code compiled
    /// without optimization: two thirds of the key lookup in a profile of h1-auth.) Not inlined,
    /// so no caller's optimizer can turn the fold into a test per word.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static bool FixedTimeEquals(in CredentialHash left, in CredentialHash right) =>
        ((left._a ^ right._a) | (left._b ^ right._b) | (left._c ^ right._c) | (left._d ^ right._d)) == 0;

    public bool Equals(CredentialHash other) => _a == other._a && _b == other._b && _c == other._c && _d == other._d;

    public override bool Equals(object? obj) => obj is CredentialHash other && Equals(other);

    // SHA-256 output is uniform and a client cannot steer it, so one word is as good a hash code as any.
    public override int GetHashCode() => (int)_a ^ (int)(_a >> 32);

    public static bool operator ==(CredentialHash left, CredentialHash right) => left.Equals(right);

    public static bool operator !=(CredentialHash left, CredentialHash right) => !left.Equals(right);
}
