namespace FastGate.Core.Http1;

/// <summary>
/// Resumable decoder of the chunked transfer coding (RFC 9112 section 7.1). Holds only a few
/// integers of state, so a body split at any byte decodes the same.
/// </summary>
public struct Http1ChunkedDecoder
{
    public Http1Error Error { get; private set; }

    public void Reset() => this = default;

    /// <summary>
    /// Reads from the start of <paramref name="input"/>. Stops at the first run of chunk data
    /// (<see cref="Http1ChunkStatus.Data"/>: the data is input[dataOffset..(dataOffset + dataLength)] and
    /// <paramref name="consumed"/> = dataOffset + dataLength), at the end of the body
    /// (<see cref="Http1ChunkStatus.Complete"/>, consumed up to and including the final CRLF), when the input is
    /// used up inside framing (<see cref="Http1ChunkStatus.NeedMoreData"/>, consumed = input.Length), or at an error.
    /// Trailer fields are validated and dropped. Chunk extensions are validated and dropped.
    /// </summary>
    public Http1ChunkStatus Read(ReadOnlySpan<byte> input, out int consumed, out int dataOffset, out int dataLength)
        => throw new NotImplementedException();
}
