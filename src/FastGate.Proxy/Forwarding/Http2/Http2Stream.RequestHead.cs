using FastGate.Core.Buffers;
using FastGate.Core.Http;
using FastGate.Core.Http1;
using FastGate.Proxy.Config;

namespace FastGate.Proxy.Forwarding.Http2;

// The request head goes to the stream's exchange parsed (Http2RequestBuilder.DirectHead.cs), not
// as HTTP/1.1 text in the bridge that the exchange would search for and parse again. The read
// loop fills it here (its builder is the connection's, reused for the next block at once); the
// exchange takes it when it starts. The bridge then carries the request body only.
internal sealed partial class Http2Stream
{
    private readonly RequestHead _requestHead = new();
    private HeadArray _requestHeadArray;
    private Http1Error _requestHeadError;

    /// <summary>A parsed request head waits for the exchange (not for an extended CONNECT, whose head is text in the bridge).</summary>
    public bool HasRequestHead { get; private set; }

    /// <summary>Read loop, before the exchange starts: the request of <paramref name="builder"/>'s block as a parsed head.</summary>
    public void TakeRequestHead(Http2RequestBuilder builder, bool bodyFollows)
    {
        _requestHeadError = builder.FillHead(_requestHead, ref _requestHeadArray, bodyFollows, RequestChunked);
        HasRequestHead = true;
    }

    /// <summary>
    /// The exchange's start: copies the head into <paramref name="target"/> (its bytes into
    /// <paramref name="array"/>, the exchange's head array) and returns what the HTTP/1.1 front
    /// would have refused in it, in the order it finds it: an over-long request line, a bad one,
    /// an over-large head, a bad field, too many fields (<paramref name="limits"/>, the listener's).
    /// </summary>
    public Http1Error HandRequestHead(RequestHead target, ref HeadArray array, LimitsModel limits)
    {
        HasRequestHead = false;
        var source = _requestHead;
        var bytes = array.Get(source.Length);
        source.Buffer.AsSpan(0, source.Length).CopyTo(bytes);
        target.Reset();
        target.Buffer = bytes;
        target.Length = source.Length;
        target.Version = source.Version;
        target.ContentLength = source.ContentLength;
        target.IsChunked = source.IsChunked;
        target.KeepAlive = source.KeepAlive;
        target.Method = source.Method;
        target.MethodStart = source.MethodStart;
        target.MethodLength = source.MethodLength;
        target.TargetStart = source.TargetStart;
        target.TargetLength = source.TargetLength;
        target.PathStart = source.PathStart;
        target.PathLength = source.PathLength;
        target.QueryStart = source.QueryStart;
        target.QueryLength = source.QueryLength;
        target.AuthorityStart = source.AuthorityStart;
        target.AuthorityLength = source.AuthorityLength;
        target.HostStart = source.HostStart;
        target.HostLength = source.HostLength;
        target.ExpectContinue = source.ExpectContinue;
        target.IsUpgrade = source.IsUpgrade;
        foreach (ref readonly var header in source.Headers)
        {
            target.AddHeader(header);
        }
        var error = Judge(source, _requestHeadError, limits);
        // The stream's copy is done with: a large array goes back now, a modest one stays for the next life.
        source.Reset();
        _requestHeadArray.Done();
        return error;
    }

    private static Http1Error Judge(RequestHead head, Http1Error error, LimitsModel limits)
    {
        if (head.MethodLength + 1 + head.TargetLength + " HTTP/1.1"u8.Length > limits.MaxRequestLineBytes)
        {
            return Http1Error.RequestLineTooLong;
        }
        if (error == Http1Error.InvalidRequestLine)
        {
            return error;
        }
        if (head.Length > limits.MaxHeaderBytes)
        {
            return Http1Error.HeadTooLarge;
        }
        if (error != Http1Error.None)
        {
            return error;
        }
        return head.HeaderCount > limits.MaxHeaders ? Http1Error.TooManyHeaders : Http1Error.None;
    }
}
