using System.Buffers;

namespace FastGate.Core.HPack;

/// <summary>
/// Encodes header blocks for one connection direction (RFC 7541). Fields found in the static
/// table are indexed; others are written as literals with incremental indexing into a dynamic
/// table this encoder keeps (bounded by what the peer allows), except sensitive ones
/// (authorization, cookie, set-cookie, proxy-authorization), which are never indexed. Strings are
/// Huffman-coded when that is shorter. Names are written lowercased.
/// </summary>
public sealed class HPackEncoder
{
    /// <param name="maxTableSize">The largest dynamic table this encoder uses, whatever the peer allows.</param>
    public HPackEncoder(int maxTableSize = 4096)
    {
        throw new NotImplementedException();
    }

    /// <summary>
    /// The peer's SETTINGS_HEADER_TABLE_SIZE changed: the table shrinks if needed and the next
    /// block starts with a size update.
    /// </summary>
    public void SetPeerMaxTableSize(int size) => throw new NotImplementedException();

    /// <summary>Starts a block: writes a pending dynamic table size update, if any.</summary>
    public void BeginBlock(IBufferWriter<byte> output) => throw new NotImplementedException();

    /// <summary>Writes <c>:status</c>, indexed when the static table has it.</summary>
    public void EncodeStatus(IBufferWriter<byte> output, int status) => throw new NotImplementedException();

    /// <summary>Writes one field; <paramref name="neverIndex"/> forces a never-indexed literal.</summary>
    public void Encode(IBufferWriter<byte> output, ReadOnlySpan<byte> name, ReadOnlySpan<byte> value, bool neverIndex = false) => throw new NotImplementedException();
}
