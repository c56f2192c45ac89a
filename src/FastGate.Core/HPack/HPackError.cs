namespace FastGate.Core.HPack;

/// <summary>Why a header block cannot be decoded; every one is a COMPRESSION_ERROR on the connection, except <see cref="HeaderListTooLarge"/>, which refuses only its stream.</summary>
public enum HPackError
{
    None,
    /// <summary>The block ends inside an integer, a string or a representation.</summary>
    Truncated,
    /// <summary>An integer does not fit in 31 bits (or has too many continuation bytes).</summary>
    IntegerOverflow,
    /// <summary>An index is 0 or beyond the static and dynamic tables.</summary>
    BadIndex,
    /// <summary>Huffman data holds EOS, padding longer than 7 bits, or padding that is not all ones.</summary>
    BadHuffman,
    /// <summary>A dynamic table size update above the limit this side announced.</summary>
    TableSizeTooLarge,
    /// <summary>A dynamic table size update after the first field of the block.</summary>
    MisplacedTableSizeUpdate,
    /// <summary>The decoded fields (RFC 9113 §6.5.2 sizes: name + value + 32 each) exceed the header list limit.</summary>
    HeaderListTooLarge,
    /// <summary>A string longer than the decoder's limit for one field.</summary>
    StringTooLong,
}
