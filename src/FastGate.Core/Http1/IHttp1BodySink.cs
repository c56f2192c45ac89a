namespace FastGate.Core.Http1;

/// <summary>
/// Where <see cref="Http1BodyReader"/> puts the body it decodes: the data, piece by piece, then
/// the end. A struct (often a ref struct over a writer), so the reader's calls are direct.
/// </summary>
public interface IHttp1BodySink
{
    void Data(ReadOnlySpan<byte> data);

    /// <summary>
    /// Field lines of a chunked body's trailer section (RFC 9112 §7.1.2), as received and checked:
    /// "name: value" lines each with its CRLF, possibly cut between calls; <paramref name="first"/>
    /// on the section's first piece. Only from a reader started to keep trailers; after the last data.
    /// </summary>
    void Trailers(ReadOnlySpan<byte> fieldLines, bool first);

    /// <summary>The body ended (called once, after the last data) and had no trailers.</summary>
    void End();

    /// <summary>The body ended after <see cref="Trailers"/> (called once, instead of <see cref="End"/>).</summary>
    void EndAfterTrailers();
}
