namespace FastGate.Proxy.Forwarding;

/// <summary>What <see cref="UpstreamLeg.ReadResponseHead"/> made of the upstream's bytes.</summary>
internal enum ResponseHeadRead : byte
{
    /// <summary>No whole head yet: read more.</summary>
    NeedMoreData,
    /// <summary>An interim (1xx) head was read and dropped: read on for the final one.</summary>
    Interim,
    /// <summary>The final head is in <see cref="UpstreamLeg.Response"/>.</summary>
    Final,
    /// <summary>The head is malformed, too large, or a 101 nobody asked for.</summary>
    Invalid,
    /// <summary>The upstream closed before sending any byte of a response.</summary>
    ClosedEmpty,
    /// <summary>The upstream closed partway through the head.</summary>
    ClosedPartial,
}
