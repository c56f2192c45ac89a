namespace FastGate.Functional.Tests.Http2Conformance;

/// <summary>
/// The wire constants of RFC 9113, spelled here rather than taken from FastGate.Core, so the
/// conformance client stays independent of the codecs it checks.
/// </summary>
public static class H2Type
{
    public const byte DATA = 0x0;
    public const byte HEADERS = 0x1;
    public const byte PRIORITY = 0x2;
    public const byte RST_STREAM = 0x3;
    public const byte SETTINGS = 0x4;
    public const byte PUSH_PROMISE = 0x5;
    public const byte PING = 0x6;
    public const byte GOAWAY = 0x7;
    public const byte WINDOW_UPDATE = 0x8;
    public const byte CONTINUATION = 0x9;

    public static string Name(byte type) => type switch
    {
        DATA => "DATA",
        HEADERS => "HEADERS",
        PRIORITY => "PRIORITY",
        RST_STREAM => "RST_STREAM",
        SETTINGS => "SETTINGS",
        PUSH_PROMISE => "PUSH_PROMISE",
        PING => "PING",
        GOAWAY => "GOAWAY",
        WINDOW_UPDATE => "WINDOW_UPDATE",
        CONTINUATION => "CONTINUATION",
        _ => $"UNKNOWN(0x{type:x2})",
    };
}

public static class H2Flag
{
    public const byte END_STREAM = 0x1;
    public const byte ACK = 0x1;
    public const byte END_HEADERS = 0x4;
    public const byte PADDED = 0x8;
    public const byte PRIORITY = 0x20;
}

public enum H2Error : uint
{
    NO_ERROR = 0x0,
    PROTOCOL_ERROR = 0x1,
    INTERNAL_ERROR = 0x2,
    FLOW_CONTROL_ERROR = 0x3,
    SETTINGS_TIMEOUT = 0x4,
    STREAM_CLOSED = 0x5,
    FRAME_SIZE_ERROR = 0x6,
    REFUSED_STREAM = 0x7,
    CANCEL = 0x8,
    COMPRESSION_ERROR = 0x9,
    CONNECT_ERROR = 0xa,
    ENHANCE_YOUR_CALM = 0xb,
    INADEQUATE_SECURITY = 0xc,
    HTTP_1_1_REQUIRED = 0xd,
}

public static class H2Setting
{
    public const ushort HEADER_TABLE_SIZE = 0x1;
    public const ushort ENABLE_PUSH = 0x2;
    public const ushort MAX_CONCURRENT_STREAMS = 0x3;
    public const ushort INITIAL_WINDOW_SIZE = 0x4;
    public const ushort MAX_FRAME_SIZE = 0x5;
    public const ushort MAX_HEADER_LIST_SIZE = 0x6;
}
