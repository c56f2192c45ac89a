namespace FastGate.Proxy.Config;

/// <summary>
/// The validated top-level <c>[http2]</c> table: what the downstream HTTP/2 front announces in its
/// SETTINGS and the limits it holds each client connection to. A reload applies to connections
/// opened after it; a connection keeps the values it started with.
/// </summary>
public sealed record Http2Model
{
    /// <summary>SETTINGS_MAX_CONCURRENT_STREAMS: streams a client may have open at once.</summary>
    public int MaxConcurrentStreams { get; init; } = 128;
    /// <summary>SETTINGS_INITIAL_WINDOW_SIZE: what a client may send on one stream before we grant more.</summary>
    public int InitialStreamWindow { get; init; } = 1024 * 1024;
    /// <summary>The connection-level receive window, raised from the RFC's 65,535 by a WINDOW_UPDATE right after our SETTINGS.</summary>
    public int ConnectionWindow { get; init; } = 16 * 1024 * 1024;
    /// <summary>SETTINGS_MAX_FRAME_SIZE: the largest frame payload we accept.</summary>
    public int MaxFrameSize { get; init; } = 16 * 1024;
    /// <summary>SETTINGS_MAX_HEADER_LIST_SIZE: the most a request's header block may decode to (RFC 9113 §6.5.2 sizes).</summary>
    public int MaxHeaderListSize { get; init; } = 32 * 1024;
    /// <summary>SETTINGS_HEADER_TABLE_SIZE: the HPACK dynamic table a client may use for what it sends us.</summary>
    public int HeaderTableSize { get; init; } = 4096;
    /// <summary>No open stream for this long ends the connection (GOAWAY NO_ERROR); null: the listener's idle_timeout.</summary>
    public TimeSpan? IdleTimeout { get; init; }
    /// <summary>A stream (or the connection) that cannot send for this long because the client's window stays 0 is ended.</summary>
    public TimeSpan StallTimeout { get; init; } = TimeSpan.FromSeconds(30);
    /// <summary>Burst and rate per second of the token bucket that SETTINGS, PING, PRIORITY, WINDOW_UPDATE, RST_STREAM and empty DATA frames share.</summary>
    public int MaxControlFramesPerSecond { get; init; } = 1000;
    /// <summary>Streams a client may reset before their response began (past half of all it opened) before the connection ends (CVE-2023-44487).</summary>
    public int MaxPrematureResets { get; init; } = 100;
    /// <summary>SETTINGS_ENABLE_CONNECT_PROTOCOL (RFC 8441): clients may open WebSockets with extended CONNECT.</summary>
    public bool EnableConnectProtocol { get; init; } = true;
    /// <summary>Connections from one address a defense may end within <see cref="DefenseStrikeWindow"/> before its new ones are refused; 0: never.</summary>
    public int MaxDefenseStrikesPerAddress { get; init; } = 10;
    /// <summary>How long an address's strikes count, from its first; a blocked address is served again when it ends.</summary>
    public TimeSpan DefenseStrikeWindow { get; init; } = TimeSpan.FromSeconds(60);
}
