namespace FastGate.Proxy.Forwarding;

/// <summary>How a body copy ended.</summary>
internal enum CopyStatus : byte
{
    Completed,
    /// <summary>The side being read closed before the body was complete.</summary>
    SourceEnded,
    /// <summary>The side being written closed.</summary>
    DestinationEnded,
    /// <summary>Invalid chunked framing.</summary>
    InvalidFraming,
    /// <summary>The body passed max_body_bytes.</summary>
    TooLarge,
    /// <summary>No progress for idle_timeout.</summary>
    TimedOut,
}
