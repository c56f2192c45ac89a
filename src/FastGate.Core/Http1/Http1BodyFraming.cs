namespace FastGate.Core.Http1;

/// <summary>How a message body is delimited on the wire (RFC 9112 §6).</summary>
public enum Http1BodyFraming : byte
{
    /// <summary>Exactly Content-Length bytes.</summary>
    ContentLength,
    /// <summary>The chunked transfer coding.</summary>
    Chunked,
    /// <summary>A response body that ends when the connection closes.</summary>
    UntilClose,
}
