namespace FastGate.Proxy.Config;

// The [route.websocket] table of a route.
public static partial class ConfigLoader
{
    private static readonly string[] WebSocketKeys = ["enabled", "max_frame_bytes", "max_message_bytes", "validate_utf8"];

    /// <summary>
    /// The route's WebSocket settings; the shared default when the route has no table. A frame
    /// limit above the message limit is refused: a single-frame message could never use it.
    /// </summary>
    private static WebSocketRouteModel ReadRouteWebSocket(ConfigReader r, TomlTableNode route, string? name)
    {
        if (r.Table(route, "websocket") is not { } table)
        {
            return WebSocketRouteModel.Default;
        }
        r.CheckKeys(table, $"[route.websocket] of route '{name}'", WebSocketKeys);
        var defaults = WebSocketRouteModel.Default;
        // A frame needs at least a close frame's room (125 bytes of control payload, RFC 6455 §5.5).
        var maxFrame = r.Size(table, "max_frame_bytes", 125, long.MaxValue) ?? defaults.MaxFrameBytes;
        var maxMessage = r.Size(table, "max_message_bytes", 125, long.MaxValue) ?? defaults.MaxMessageBytes;
        if (maxFrame > maxMessage && table.Find("max_frame_bytes") is { } frameEntry)
        {
            r.Error(frameEntry.Value.Position, $"route '{name}': 'max_frame_bytes' ({maxFrame}) is larger than 'max_message_bytes' ({maxMessage}); a frame is at most a whole message");
        }
        return new WebSocketRouteModel
        {
            Enabled = r.Boolean(table, "enabled") ?? defaults.Enabled,
            MaxFrameBytes = maxFrame,
            MaxMessageBytes = maxMessage,
            ValidateUtf8 = r.Boolean(table, "validate_utf8") ?? defaults.ValidateUtf8,
        };
    }
}
