using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using FastGate.Proxy.Config;

namespace FastGate.Proxy.Tests.Config;

/// <summary>The managed SHA-256 that credentials are hashed with: the standard's digests, at every padding boundary.</summary>
public sealed class Sha256Tests
{
    [Theory]
    // FIPS 180-4 examples (NIST CSRC), and the empty input.
    [InlineData("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")]
    [InlineData("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")]
    [InlineData("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")]
    public void KnownDigests(string input, string expectedHex)
    {
        Span<byte> digest = stackalloc byte[Sha256.DigestSize];
        Sha256.Hash(Encoding.ASCII.GetBytes(input), digest);
        Assert.Equal(expectedHex, Convert.ToHexStringLower(digest));
    }

    [Fact]
    public void MatchesThePlatformForEveryLengthAcrossFourBlocks()
    {
        // 55/56 and 119/120 bytes are where the length stops fitting in the last block.
        var random = new Random(20261206);
        Span<byte> expected = stackalloc byte[32];
        Span<byte> actual = stackalloc byte[32];
        for (var length = 0; length <= 4 * 64 + 1; length++)
        {
            var input = new byte[length];
            random.NextBytes(input);
            SHA256.HashData(input, expected);
            Sha256.Hash(input, actual);
            Assert.True(expected.SequenceEqual(actual), $"length {length}");
        }
    }

    [Fact]
    public void CredentialHashHoldsTheSha256OfTheCredential()
    {
        var key = "sk-live-000500-5f0c2b9e8a7d4c3b2a1f0e9d8c7b6a59"u8;
        var hash = CredentialHash.Of(key);
        Assert.Equal(SHA256.HashData(key), MemoryMarshal.AsBytes(new ReadOnlySpan<CredentialHash>(in hash)).ToArray());
    }

    [Fact]
    public void FixedTimeEqualsTellsEveryWordApart()
    {
        var bytes = SHA256.HashData("left"u8);
        var left = MemoryMarshal.Read<CredentialHash>(bytes);
        Assert.True(CredentialHash.FixedTimeEquals(left, MemoryMarshal.Read<CredentialHash>(bytes.ToArray())));
        for (var word = 0; word < 4; word++)
        {
            var other = bytes.ToArray();
            other[word * 8 + 7] ^= 0x80;
            Assert.False(CredentialHash.FixedTimeEquals(left, MemoryMarshal.Read<CredentialHash>(other)), $"word {word}");
        }
    }
}
