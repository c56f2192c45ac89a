namespace FastGate.Core.Http;

/// <summary>
/// What path normalization does with <c>%2F</c>, <c>%5C</c> and a raw <c>\</c> in a path (Envoy's
/// <c>path_with_escaped_slashes_action</c>): some upstreams treat them as separators, which would let
/// <c>/pub%2F..%2Fadmin</c> reach a path no route allowed.
/// </summary>
public enum EscapedSlashAction : byte
{
    /// <summary>Forward them unchanged; they are not separators for routing or dot-segment removal.</summary>
    Keep,
    /// <summary>Answer 400.</summary>
    Reject,
}
