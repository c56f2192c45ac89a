namespace FastGate.Core.Http1;

public enum Http1ChunkStatus : byte
{
    /// <summary>All input consumed, inside framing; feed more.</summary>
    NeedMoreData,
    /// <summary>A run of chunk data was found; forward it.</summary>
    Data,
    /// <summary>The last chunk and the trailer section were read; the body is over.</summary>
    Complete,
    /// <summary>Invalid framing; the decoder's <see cref="Http1ChunkedDecoder.Error"/> says why.</summary>
    Error,
    /// <summary>A run of trailer field lines (only with <see cref="Http1ChunkedDecoder.KeepTrailers"/>); forward it.</summary>
    Trailer,
}
