using FastGate.Core.Http;

namespace FastGate.Core.Http1;

/// <summary>A parsed response head from an upstream, as byte ranges into <see cref="Http1Head.Buffer"/>; reused.</summary>
public sealed class Http1ResponseHead : Http1Head
{
    public int StatusCode;
    public int ReasonStart, ReasonLength;

    public ReadOnlySpan<byte> Reason => Buffer.AsSpan(ReasonStart, ReasonLength);

    public override void ClearParsed()
    {
        base.ClearParsed();
        StatusCode = 0;
        ReasonStart = ReasonLength = 0;
    }
}
