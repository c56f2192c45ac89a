namespace FastGate.Core.HPack;

/// <summary>
/// Decodes HPACK header blocks (RFC 7541) of one connection direction: the static table, the
/// dynamic table this decoder keeps across blocks, integers, literal and Huffman strings, and
/// dynamic table size updates. A block is decoded whole (the caller joins HEADERS and
/// CONTINUATION payloads first). Nothing is allocated per block once the decoder's buffers are
/// grown. A block that fails with any error but <see cref="HPackError.HeaderListTooLarge"/> leaves
/// the decoder unusable (the connection ends with COMPRESSION_ERROR). A block that decodes past
/// the header list limit is still decoded to its end, so the dynamic table stays in step with the
/// peer's, but no field past the limit reaches the sink: the stream can be refused (431) and the
/// connection goes on.
/// </summary>
public sealed class HPackDecoder
{
    /// <param name="maxTableSize">SETTINGS_HEADER_TABLE_SIZE this side announced: the largest table a size update may ask for.</param>
    /// <param name="maxHeaderListSize">The most a block may decode to, counted as RFC 9113 §6.5.2 counts (name + value + 32 per field).</param>
    public HPackDecoder(int maxTableSize = 4096, int maxHeaderListSize = 64 * 1024)
    {
        throw new NotImplementedException();
    }

    /// <summary>The limit a dynamic table size update may ask for; changed when this side announces another SETTINGS_HEADER_TABLE_SIZE.</summary>
    public int MaxTableSize { get; set; }

    /// <summary>The dynamic table's size now (RFC 7541 §4.1 sizes).</summary>
    public int TableSize => throw new NotImplementedException();

    /// <summary>Entries in the dynamic table now.</summary>
    public int TableCount => throw new NotImplementedException();

    /// <summary>Decodes one whole header block, giving each field to <paramref name="sink"/> in order.</summary>
    public HPackError Decode(ReadOnlySpan<byte> block, IHPackHeaderSink sink) => throw new NotImplementedException();
}
