using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace FastGate.Core.WebSockets;

/// <summary>
/// The masking XOR of RFC 6455 §5.3: payload byte i is XORed with key byte i mod 4. The key is held
/// as a uint whose big-endian bytes are the four key bytes in wire order.
/// </summary>
internal static class WebSocketMask
{
    /// <summary>
    /// Writes <paramref name="source"/> XOR the key into <paramref name="destination"/> (same length or
    /// longer; may be the same memory). <paramref name="offset"/> is the payload index of source[0], so a
    /// payload split at any byte unmasks the same.
    /// </summary>
    public static void Apply(ReadOnlySpan<byte> source, Span<byte> destination, uint key, long offset)
    {
        if (destination.Length < source.Length)
        {
            throw new ArgumentException("Destination is shorter than the source.", nameof(destination));
        }

        // The key rotated so that its first byte in memory is the one for source[0].
        uint rotated = BitOperations.RotateLeft(key, 8 * (int)(offset & 3));
        uint inMemory = BitConverter.IsLittleEndian ? BinaryPrimitives.ReverseEndianness(rotated) : rotated;
        ulong pattern = inMemory | ((ulong)inMemory << 32);

        ref byte src = ref MemoryMarshal.GetReference(source);
        ref byte dst = ref MemoryMarshal.GetReference(destination);
        nuint length = (nuint)source.Length;
        nuint i = 0;

        if (Vector256.IsHardwareAccelerated && length >= (nuint)Vector256<byte>.Count)
        {
            Vector256<byte> mask = Vector256.Create(pattern).AsByte();
            nuint last = length - (nuint)Vector256<byte>.Count;
            for (; i <= last; i += (nuint)Vector256<byte>.Count)
            {
                (Vector256.LoadUnsafe(ref src, i) ^ mask).StoreUnsafe(ref dst, i);
            }
        }
        else if (Vector128.IsHardwareAccelerated && length >= (nuint)Vector128<byte>.Count)
        {
            Vector128<byte> mask = Vector128.Create(pattern).AsByte();
            nuint last = length - (nuint)Vector128<byte>.Count;
            for (; i <= last; i += (nuint)Vector128<byte>.Count)
            {
                (Vector128.LoadUnsafe(ref src, i) ^ mask).StoreUnsafe(ref dst, i);
            }
        }

        for (; i + 8 <= length; i += 8)
        {
            Unsafe.WriteUnaligned(ref Unsafe.Add(ref dst, i), Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref src, i)) ^ pattern);
        }

        // Vector and ulong steps are multiples of 4, so the pattern is still aligned with i here.
        for (; i < length; i++)
        {
            Unsafe.Add(ref dst, i) = (byte)(Unsafe.Add(ref src, i) ^ (byte)(rotated >> (24 - 8 * (int)(i & 3))));
        }
    }
}
