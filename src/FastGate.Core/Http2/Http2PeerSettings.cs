namespace FastGate.Core.Http2;

/// <summary>
/// What one side announced in SETTINGS (RFC 9113 §6.5.2), starting from the RFC's defaults; the
/// connection keeps one for the peer and one for what it sent itself.
/// </summary>
public sealed class Http2PeerSettings
{
    public const int DefaultWindowSize = 65_535;
    public const int MinFrameSize = 16_384;
    public const int MaxFrameSizeLimit = 16_777_215;
    public const int MaxWindowSize = int.MaxValue;

    public int HeaderTableSize { get; private set; } = 4096;
    public bool EnablePush { get; private set; } = true;
    /// <summary>int.MaxValue when the peer set none.</summary>
    public int MaxConcurrentStreams { get; private set; } = int.MaxValue;
    public int InitialWindowSize { get; private set; } = DefaultWindowSize;
    public int MaxFrameSize { get; private set; } = MinFrameSize;
    /// <summary>int.MaxValue when the peer set none.</summary>
    public int MaxHeaderListSize { get; private set; } = int.MaxValue;
    public bool EnableConnectProtocol { get; private set; }

    /// <summary>
    /// Applies one parameter; PROTOCOL_ERROR for ENABLE_PUSH or ENABLE_CONNECT_PROTOCOL not 0/1 and
    /// a MAX_FRAME_SIZE out of range, FLOW_CONTROL_ERROR for an INITIAL_WINDOW_SIZE above 2^31-1.
    /// Unknown parameters are ignored.
    /// </summary>
    public Http2ErrorCode Apply(Http2Setting setting) => throw new NotImplementedException();
}
