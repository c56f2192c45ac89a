using System.Security.Cryptography;
using System.Text;
using BenchmarkDotNet.Attributes;
using FastGate.Proxy.Config;

namespace FastGate.Benchmarks;

/// <summary>
/// Hashing one API key, as the auth stage does for every request that carries one: through
/// OpenSSL (an <see cref="IncrementalHash"/> kept per thread and reset after each key) against
/// the managed rounds of <see cref="Sha256"/>. A typical key is one block; a 60-byte one needs
/// a second block for the length. Allocated must be zero in every row.
/// </summary>
[MemoryDiagnoser]
public class CredentialHashBenchmark
{
    private readonly IncrementalHash _openSsl = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private byte[] _key = [];

    [Params(9, 46, 60)]
    public int KeyLength { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _key = Encoding.ASCII.GetBytes("sk-live-000500-5f0c2b9e8a7d4c3b2a1f0e9d8c7b6a59-0123456789abcdef"[..KeyLength]);
        Span<byte> expected = stackalloc byte[32];
        Span<byte> actual = stackalloc byte[32];
        SHA256.HashData(_key, expected);
        Sha256.Hash(_key, actual);
        if (!expected.SequenceEqual(actual))
        {
            throw new InvalidOperationException("the managed SHA-256 differs from the platform's");
        }
    }

    [Benchmark(Baseline = true)]
    public byte OpenSslIncremental()
    {
        Span<byte> digest = stackalloc byte[32];
        _openSsl.AppendData(_key);
        _openSsl.GetHashAndReset(digest);
        return digest[0];
    }

    [Benchmark]
    public byte Managed()
    {
        Span<byte> digest = stackalloc byte[32];
        Sha256.Hash(_key, digest);
        return digest[0];
    }

    [Benchmark]
    public bool CredentialHashOf() => CredentialHash.Of(_key) == default;
}
