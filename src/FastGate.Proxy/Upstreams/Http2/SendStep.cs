namespace FastGate.Proxy.Upstreams.Http2;

/// <summary>Where a stream's request side stands after a step of sending it.</summary>
internal enum SendStep : byte
{
    /// <summary>The head went out; the body follows from the exchange.</summary>
    Body,
    /// <summary>The request went out whole (END_STREAM).</summary>
    Sent,
    /// <summary>The server did not process the stream (REFUSED_STREAM, GOAWAY): it may go out again.</summary>
    Refused,
    /// <summary>It cannot go on; the exchange's response has failed (or will, with the session).</summary>
    Failed,
}
