using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;

namespace FastGate.Core.ProxyProtocol;

/// <summary>
/// One end of a proxied connection: an IPv4 (4 bytes) or IPv6 (16 bytes) address and a port,
/// held inline so reading a header allocates nothing. Empty when the family is UNKNOWN.
/// </summary>
public struct ProxyAddress
{
    private AddressBytes _bytes;
    private byte _length;

    public ushort Port { get; internal set; }

    public readonly int Length => _length;

    /// <summary>The address in network order: 4 or 16 bytes, or none.</summary>
    [UnscopedRef]
    public readonly ReadOnlySpan<byte> Bytes => ((ReadOnlySpan<byte>)_bytes)[.._length];

    internal void Set(ReadOnlySpan<byte> address, ushort port)
    {
        address.CopyTo(_bytes);
        _length = (byte)address.Length;
        Port = port;
    }

    /// <summary>Space for the longest address, IPv6.</summary>
    [InlineArray(16)]
    private struct AddressBytes
    {
        private byte _element;
    }
}
