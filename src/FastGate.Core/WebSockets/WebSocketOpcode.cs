namespace FastGate.Core.WebSockets;

/// <summary>Frame opcodes in RFC 6455 §5.2 spelling; 3–7 and 0xB–0xF are reserved.</summary>
internal static class WebSocketOpcode
{
    public const int Continuation = 0x0;
    public const int Text = 0x1;
    public const int Binary = 0x2;
    public const int Close = 0x8;
    public const int Ping = 0x9;
    public const int Pong = 0xA;
}
