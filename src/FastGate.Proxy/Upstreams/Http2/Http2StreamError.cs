namespace FastGate.Proxy.Upstreams.Http2;

/// <summary>What a stream found wrong in what the server sent on it: each ends the stream with RST_STREAM.</summary>
internal enum Http2StreamError : byte
{
    None,
    /// <summary>A malformed response (RFC 9113 §8.1.1): a bad head, trailers without END_STREAM, DATA before the head.</summary>
    Protocol,
    /// <summary>DATA past the stream's receive window.</summary>
    FlowControl,
}
