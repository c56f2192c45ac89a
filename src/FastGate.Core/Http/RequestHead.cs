namespace FastGate.Core.Http;

/// <summary>
/// A parsed request head: byte ranges into <see cref="MessageHead.Buffer"/>, reused across requests
/// of a connection (call <see cref="MessageHead.Reset"/>), so parsing allocates nothing in steady state.
/// </summary>
public sealed class RequestHead : MessageHead
{
    public RequestMethod Method;
    public int MethodStart, MethodLength;
    /// <summary>The request-target exactly as sent.</summary>
    public int TargetStart, TargetLength;
    /// <summary>
    /// The path (absolute-path of origin-form, or the path of absolute-form; "*" for asterisk-form). A proxy that
    /// normalizes it (<see cref="Http.PathNormalizer"/>) may point this range at a copy written after
    /// <see cref="MessageHead.Length"/> in the same buffer; <see cref="Target"/> keeps the bytes as sent.
    /// </summary>
    public int PathStart, PathLength;
    /// <summary>The query including its leading '?', or length 0.</summary>
    public int QueryStart, QueryLength;
    /// <summary>The authority of an absolute-form target, or length 0.</summary>
    public int AuthorityStart, AuthorityLength;
    /// <summary>Effective host: the absolute-form authority if present, else the Host header value. Length 0 when none.</summary>
    public int HostStart, HostLength;
    public bool ExpectContinue;
    /// <summary>A Connection header lists "upgrade" and an Upgrade header is present.</summary>
    public bool IsUpgrade;

    public ReadOnlySpan<byte> MethodBytes => Buffer.AsSpan(MethodStart, MethodLength);
    public ReadOnlySpan<byte> Target => Buffer.AsSpan(TargetStart, TargetLength);
    public ReadOnlySpan<byte> Path => Buffer.AsSpan(PathStart, PathLength);
    public ReadOnlySpan<byte> Query => Buffer.AsSpan(QueryStart, QueryLength);
    public ReadOnlySpan<byte> Host => Buffer.AsSpan(HostStart, HostLength);

    public override void ClearParsed()
    {
        base.ClearParsed();
        Method = RequestMethod.Custom;
        MethodStart = MethodLength = TargetStart = TargetLength = 0;
        PathStart = PathLength = QueryStart = QueryLength = AuthorityStart = AuthorityLength = 0;
        HostStart = HostLength = 0;
        ExpectContinue = IsUpgrade = false;
    }
}
