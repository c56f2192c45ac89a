namespace FastGate.Core.HPack;

/// <summary>
/// Receives the fields of a header block as <see cref="HPackDecoder"/> decodes them, in order.
/// The spans are valid only for the call: a sink copies what it keeps.
/// </summary>
public interface IHPackHeaderSink
{
    void OnHeader(ReadOnlySpan<byte> name, ReadOnlySpan<byte> value);
}
