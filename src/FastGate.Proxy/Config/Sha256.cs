using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.CompilerServices;

namespace FastGate.Proxy.Config;

/// <summary>
/// SHA-256 (FIPS 180-4) of a short input, in managed code on the stack. A credential is a few
/// dozen bytes, one or two blocks, and hashing it through System.Security.Cryptography costs
/// three native calls, each clearing OpenSSL's error queue, and a digest context reset, more
/// than the rounds themselves: these take about half the time for a key of one block
/// (bench/FastGate.Benchmarks CredentialHashBenchmark). The rounds have no branch and no table
/// lookup that depends on the input, so the time taken says nothing about the bytes; the copies
/// of the input on the stack are cleared before returning.
/// </summary>
internal static class Sha256
{
    public const int DigestSize = 32;
    private const int BlockSize = 64;

    private static ReadOnlySpan<uint> RoundConstants =>
    [
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
        0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
        0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
        0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
        0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
        0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
        0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
        0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
    ];

    /// <summary>Writes the SHA-256 of <paramref name="data"/> to the first 32 bytes of <paramref name="digest"/>.</summary>
    [SkipLocalsInit]
    public static unsafe void Hash(ReadOnlySpan<byte> data, Span<byte> digest)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(digest.Length, DigestSize);
        // Pointers into the stack: the rounds index by counters the JIT cannot prove in range,
        // and spans would check bounds on every word.
        var state = stackalloc uint[8];
        state[0] = 0x6a09e667;
        state[1] = 0xbb67ae85;
        state[2] = 0x3c6ef372;
        state[3] = 0xa54ff53a;
        state[4] = 0x510e527f;
        state[5] = 0x9b05688c;
        state[6] = 0x1f83d9ab;
        state[7] = 0x5be0cd19;
        var schedule = stackalloc uint[64];

        var bitLength = (ulong)data.Length * 8;
        fixed (uint* k = RoundConstants)
        {
            while (data.Length >= BlockSize)
            {
                Compress(state, data, schedule, k);
                data = data[BlockSize..];
            }

            // The rest, the 0x80 marker and the length: one block, or two when the length does not fit.
            Span<byte> tail = stackalloc byte[2 * BlockSize];
            tail.Clear();
            data.CopyTo(tail);
            tail[data.Length] = 0x80;
            var tailLength = data.Length + 1 + sizeof(ulong) <= BlockSize ? BlockSize : 2 * BlockSize;
            BinaryPrimitives.WriteUInt64BigEndian(tail.Slice(tailLength - sizeof(ulong)), bitLength);
            Compress(state, tail, schedule, k);
            if (tailLength > BlockSize)
            {
                Compress(state, tail[BlockSize..], schedule, k);
            }
            tail.Clear();
        }

        for (var i = 0; i < 8; i++)
        {
            BinaryPrimitives.WriteUInt32BigEndian(digest.Slice(i * 4), state[i]);
        }
        new Span<uint>(schedule, 64).Clear();
        new Span<uint>(state, 8).Clear();
    }

    /// <summary>One 64-byte block (the first of <paramref name="block"/>) into <paramref name="state"/>.</summary>
    private static unsafe void Compress(uint* state, ReadOnlySpan<byte> block, uint* w, uint* k)
    {
        block = block[..BlockSize];
        for (var t = 0; t < 16; t++)
        {
            w[t] = BinaryPrimitives.ReadUInt32BigEndian(block.Slice(t * 4));
        }
        for (var t = 16; t < 64; t++)
        {
            var w15 = w[t - 15];
            var w2 = w[t - 2];
            var s0 = BitOperations.RotateRight(w15, 7) ^ BitOperations.RotateRight(w15, 18) ^ (w15 >> 3);
            var s1 = BitOperations.RotateRight(w2, 17) ^ BitOperations.RotateRight(w2, 19) ^ (w2 >> 10);
            w[t] = w[t - 16] + s0 + w[t - 7] + s1;
        }

        uint a = state[0], b = state[1], c = state[2], d = state[3];
        uint e = state[4], f = state[5], g = state[6], h = state[7];
        for (var t = 0; t < 64; t++)
        {
            var s1 = BitOperations.RotateRight(e, 6) ^ BitOperations.RotateRight(e, 11) ^ BitOperations.RotateRight(e, 25);
            var ch = (e & f) ^ (~e & g);
            var t1 = h + s1 + ch + k[t] + w[t];
            var s0 = BitOperations.RotateRight(a, 2) ^ BitOperations.RotateRight(a, 13) ^ BitOperations.RotateRight(a, 22);
            var maj = (a & b) ^ (a & c) ^ (b & c);
            var t2 = s0 + maj;
            h = g;
            g = f;
            f = e;
            e = d + t1;
            d = c;
            c = b;
            b = a;
            a = t1 + t2;
        }
        state[0] += a;
        state[1] += b;
        state[2] += c;
        state[3] += d;
        state[4] += e;
        state[5] += f;
        state[6] += g;
        state[7] += h;
    }
}
