namespace FastGate.Core.WebSockets;

/// <summary>WebSocket close status codes (RFC 6455 §7.4.1) and which of them may appear in a close frame.</summary>
public static class WebSocketCloseCodes
{
    public const ushort Normal = 1000;
    public const ushort GoingAway = 1001;
    public const ushort ProtocolError = 1002;
    public const ushort UnsupportedData = 1003;
    /// <summary>Never on the wire: stands for a close frame without a payload.</summary>
    public const ushort NoStatus = 1005;
    /// <summary>Never on the wire: stands for a connection lost without a close frame.</summary>
    public const ushort Abnormal = 1006;
    public const ushort InvalidPayload = 1007;
    public const ushort PolicyViolation = 1008;
    public const ushort MessageTooBig = 1009;
    public const ushort MandatoryExtension = 1010;
    public const ushort InternalError = 1011;

    /// <summary>
    /// True when <paramref name="code"/> may be sent in a close frame: 1000–1003, 1007–1014 and the
    /// application ranges 3000–4999. 1004 (reserved), 1005, 1006 and 1015 (never sent, §7.4.1),
    /// codes below 1000 and the unassigned 1016–2999 and 5000+ are a protocol error (Autobahn 7.9.x).
    /// </summary>
    /// <remarks>
    /// 1012 (service restart), 1013 (try again later) and 1014 (bad gateway) were registered with IANA
    /// after RFC 6455 and are sent by real servers (a restarting upstream answers 1012); rejecting them
    /// would turn an orderly close into a protocol error on the other side.
    /// </remarks>
    public static bool IsValidOnWire(ushort code) => code switch
    {
        >= 1000 and <= 1003 => true,
        >= 1007 and <= 1014 => true,
        >= 3000 and <= 4999 => true,
        _ => false,
    };
}
