namespace FastGate.Core.Http;

/// <summary>A parsed response head from an upstream, as byte ranges into <see cref="MessageHead.Buffer"/>; reused.</summary>
public sealed class ResponseHead : MessageHead
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
