namespace FastGate.Core.WebSockets;

/// <summary>
/// Per-route WebSocket limits (`[route.websocket]`): the largest frame payload and message (sum of
/// its frames' payloads as sent, so compressed size for a compressed message), and whether text
/// messages are checked for UTF-8. A size of 0 or less means no limit.
/// </summary>
public readonly struct WebSocketLimits
{
    /// <summary>The config defaults: 16 MiB frames and messages, UTF-8 validated.</summary>
    public static WebSocketLimits Default => new(16L * 1024 * 1024, 16L * 1024 * 1024, validateUtf8: true);

    public WebSocketLimits(long maxFrameBytes, long maxMessageBytes, bool validateUtf8)
    {
        MaxFrameBytes = maxFrameBytes > 0 ? maxFrameBytes : long.MaxValue;
        MaxMessageBytes = maxMessageBytes > 0 ? maxMessageBytes : long.MaxValue;
        ValidateUtf8 = validateUtf8;
    }

    /// <summary>Largest frame payload in bytes; long.MaxValue when unlimited.</summary>
    public long MaxFrameBytes { get; }

    /// <summary>Largest message (all its frames' payloads) in bytes; long.MaxValue when unlimited.</summary>
    public long MaxMessageBytes { get; }

    /// <summary>Whether uncompressed text messages must be valid UTF-8 (RFC 6455 §8.1).</summary>
    public bool ValidateUtf8 { get; }
}
