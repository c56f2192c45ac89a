namespace FastGate.Core.Http1;

/// <summary>
/// Where <see cref="Http1BodyReader"/> puts the body it decodes: the data, piece by piece, then
/// the end. A struct (often a ref struct over a writer), so the reader's calls are direct.
/// </summary>
public interface IHttp1BodySink
{
    void Data(ReadOnlySpan<byte> data);

    /// <summary>The body ended (called once, after the last data).</summary>
    void End();
}
