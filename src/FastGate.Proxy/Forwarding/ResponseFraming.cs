namespace FastGate.Proxy.Forwarding;

/// <summary>How the upstream delimits the response body (RFC 9112 §6.3).</summary>
internal enum ResponseFraming : byte
{
    /// <summary>HEAD, 1xx, 204, 304: no body whatever the headers say.</summary>
    None,
    ContentLength,
    Chunked,
    /// <summary>No length and not chunked: the body runs until the upstream closes.</summary>
    UntilClose,
}
