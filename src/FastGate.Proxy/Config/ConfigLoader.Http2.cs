namespace FastGate.Proxy.Config;

// [http2]: the downstream HTTP/2 front's settings and defense limits.
public static partial class ConfigLoader
{
    private static readonly string[] Http2Keys =
    [
        "max_concurrent_streams", "initial_stream_window", "connection_window", "max_frame_size",
        "max_header_list_size", "header_table_size", "idle_timeout", "stall_timeout",
        "max_control_frames_per_second", "max_premature_resets", "max_defense_strikes_per_address",
        "defense_strike_window", "enable_connect_protocol",
    ];

    /// <summary>The [http2] table over its defaults; max_header_list_size defaults to [defaults] max_header_bytes.</summary>
    private static Http2Model ReadHttp2(ConfigReader r, TomlTableNode? table, LimitsModel defaults)
    {
        var model = new Http2Model { MaxHeaderListSize = defaults.MaxHeaderBytes };
        if (table is null)
        {
            return model;
        }

        r.CheckKeys(table, "[http2]", Http2Keys);
        if (r.Integer(table, "max_concurrent_streams", 1, int.MaxValue) is { } streams)
        {
            model = model with { MaxConcurrentStreams = (int)streams };
        }
        // RFC 9113 §6.5.2 and §6.9.1: windows are at most 2^31-1; a frame between 16 KiB and 16 MiB - 1.
        if (r.Size(table, "initial_stream_window", 1, int.MaxValue) is { } streamWindow)
        {
            model = model with { InitialStreamWindow = (int)streamWindow };
        }
        if (r.Size(table, "connection_window", 65_535, int.MaxValue) is { } connectionWindow)
        {
            model = model with { ConnectionWindow = (int)connectionWindow };
        }
        if (r.Size(table, "max_frame_size", 16_384, 16_777_215) is { } frameSize)
        {
            model = model with { MaxFrameSize = (int)frameSize };
        }
        if (r.Size(table, "max_header_list_size", 1024, int.MaxValue) is { } headerList)
        {
            model = model with { MaxHeaderListSize = (int)headerList };
        }
        if (r.Size(table, "header_table_size", 0, 1024 * 1024) is { } tableSize)
        {
            model = model with { HeaderTableSize = (int)tableSize };
        }
        if (r.Duration(table, "idle_timeout") is { } idle)
        {
            model = model with { IdleTimeout = idle };
        }
        if (r.Duration(table, "stall_timeout") is { } stall)
        {
            model = model with { StallTimeout = stall };
        }
        if (r.Integer(table, "max_control_frames_per_second", 1, 1_000_000) is { } control)
        {
            model = model with { MaxControlFramesPerSecond = (int)control };
        }
        if (r.Integer(table, "max_premature_resets", 0, int.MaxValue) is { } resets)
        {
            model = model with { MaxPrematureResets = (int)resets };
        }
        if (r.Boolean(table, "enable_connect_protocol") is { } connectProtocol)
        {
            model = model with { EnableConnectProtocol = connectProtocol };
        }
        if (r.Integer(table, "max_defense_strikes_per_address", 0, 1_000_000) is { } strikes)
        {
            model = model with { MaxDefenseStrikesPerAddress = (int)strikes };
        }
        if (r.Duration(table, "defense_strike_window") is { } window)
        {
            model = model with { DefenseStrikeWindow = window };
        }
        return model;
    }
}
