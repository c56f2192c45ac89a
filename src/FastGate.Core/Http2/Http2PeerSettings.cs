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
    /// <remarks>
    /// Values above int.MaxValue of the unbounded parameters (table size, streams, header list) are kept as
    /// int.MaxValue. A value that is refused changes nothing. ENABLE_CONNECT_PROTOCOL may not go back from 1
    /// to 0 (RFC 8441 §3: "MUST NOT send ... 0 after previously sending a value of 1"), PROTOCOL_ERROR.
    /// That a server must not send ENABLE_PUSH = 1 is the client side's check (it knows its role).
    /// Windows of open streams move by the change of INITIAL_WINDOW_SIZE: read the old value first.
    /// </remarks>
    public Http2ErrorCode Apply(Http2Setting setting)
    {
        uint value = setting.Value;
        switch (setting.Id)
        {
            case Http2SettingId.HeaderTableSize:
                HeaderTableSize = Clamp(value);
                break;
            case Http2SettingId.EnablePush:
                if (value > 1)
                {
                    return Http2ErrorCode.ProtocolError;
                }

                EnablePush = value == 1;
                break;
            case Http2SettingId.MaxConcurrentStreams:
                MaxConcurrentStreams = Clamp(value);
                break;
            case Http2SettingId.InitialWindowSize:
                if (value > MaxWindowSize)
                {
                    return Http2ErrorCode.FlowControlError;
                }

                InitialWindowSize = (int)value;
                break;
            case Http2SettingId.MaxFrameSize:
                if (value < MinFrameSize || value > MaxFrameSizeLimit)
                {
                    return Http2ErrorCode.ProtocolError;
                }

                MaxFrameSize = (int)value;
                break;
            case Http2SettingId.MaxHeaderListSize:
                MaxHeaderListSize = Clamp(value);
                break;
            case Http2SettingId.EnableConnectProtocol:
                if (value > 1 || (value == 0 && EnableConnectProtocol))
                {
                    return Http2ErrorCode.ProtocolError;
                }

                EnableConnectProtocol = value == 1;
                break;
        }

        return Http2ErrorCode.NoError;
    }

    private static int Clamp(uint value) => value > int.MaxValue ? int.MaxValue : (int)value;
}
