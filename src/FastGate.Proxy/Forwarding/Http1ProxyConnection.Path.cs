using FastGate.Core.Http;

namespace FastGate.Proxy.Forwarding;

public sealed partial class Http1ProxyConnection
{
    /// <summary>
    /// Normalizes the request path (see <see cref="PathNormalizer"/>) before it is routed, so the path
    /// routed is the path forwarded. False when the path must be answered with 400.
    /// </summary>
    /// <remarks>
    /// The normalized path is written after the head in the head's own pooled buffer (rented larger
    /// when there is no room), and the head's path range moves there: the request-target as sent stays
    /// intact for the access log, and nothing is allocated.
    /// </remarks>
    private bool NormalizePath()
    {
        var request = _request;
        var path = request.Path;
        // asterisk-form ("*") and an empty absolute-form path ("/") have nothing to normalize.
        if (path.IsEmpty || path[0] != (byte)'/' || !PathNormalizer.NeedsNormalization(path, _limits.MergeSlashes))
        {
            return true;
        }
        int needed = request.Length + request.PathLength;
        if (request.Buffer.Length < needed)
        {
            request.Buffer = _current!.RequestHeadArray.Grow(needed, request.Length);
        }
        var result = PathNormalizer.Normalize(
            request.Path, request.Buffer.AsSpan(request.Length, request.PathLength), _limits.MergeSlashes, _limits.EscapedSlashes, out int written);
        if (result != PathNormalizationResult.Ok)
        {
            return false;
        }
        request.PathStart = request.Length;
        request.PathLength = written;
        return true;
    }
}
