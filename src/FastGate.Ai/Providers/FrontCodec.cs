using System.Buffers;

namespace FastGate.Ai.Providers;

/// <summary>
/// Speaks one client API, from and to the pivot shape. A singleton per <see cref="ClientApi"/>,
/// stateless; streams use a <see cref="FrontStreamEncoder"/>.
/// </summary>
public abstract class FrontCodec
{
    public abstract ClientApi Api { get; }

    /// <summary>Checks the client's request and writes it as the pivot request; false with a 400-class error when it is not valid.</summary>
    public abstract bool TryReadRequest(ReadOnlySpan<byte> body, IBufferWriter<byte> pivot, out RequestFacts facts, out AiError error);

    /// <summary>A pivot response as the client's response body.</summary>
    public abstract void WriteResponse(ReadOnlySpan<byte> pivot, in TokenUsage usage, IBufferWriter<byte> output);

    /// <summary>A pivot response as the client's response body, shaped by what the client asked for in its request.</summary>
    public virtual void WriteResponse(ReadOnlySpan<byte> pivot, in TokenUsage usage, in RequestFacts facts, IBufferWriter<byte> output) =>
        WriteResponse(pivot, usage, output);

    /// <summary>An error as the client's error body (the status is <see cref="AiError.Status"/>).</summary>
    public abstract void WriteError(in AiError error, IBufferWriter<byte> output);

    public abstract FrontStreamEncoder NewStreamEncoder();
}
