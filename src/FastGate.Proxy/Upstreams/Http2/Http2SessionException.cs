using FastGate.Core.Http2;

namespace FastGate.Proxy.Upstreams.Http2;

/// <summary>A connection error of RFC 9113 §5.4.1 the upstream made: the session says GOAWAY with <see cref="Code"/> and closes.</summary>
internal sealed class Http2SessionException(Http2ErrorCode code, string message) : IOException($"HTTP/2 upstream {code}: {message}")
{
    public Http2ErrorCode Code { get; } = code;
}
