using System.Text;
using FastGate.Proxy.WebSockets;

namespace FastGate.Proxy.Observability;

/// <summary>
/// WebSocket upgrades and tunnels across all routes: upgrades by result, tunnels open now,
/// bytes each way and why tunnels ended. Atomics only: tunnels on every loop count here.
/// Bytes rather than frames: the frame validator keeps no frame count, and counting frames here
/// would mean reading every frame header a second time.
/// </summary>
public sealed class WebSocketMetrics
{
    private readonly long[] _upgrades = new long[4];
    private readonly long[] _closes = new long[8];
    private long _open;
    private long _bytesFromClient;
    private long _bytesFromUpstream;

    public long Open => Interlocked.Read(ref _open);

    public long Upgrades(WebSocketUpgradeResult result) => Interlocked.Read(ref _upgrades[(int)result]);

    public long Closes(WebSocketCloseReason reason) => Interlocked.Read(ref _closes[(int)reason]);

    public long Bytes(bool fromClient) => Interlocked.Read(ref fromClient ? ref _bytesFromClient : ref _bytesFromUpstream);

    public void Upgrade(WebSocketUpgradeResult result) => Interlocked.Increment(ref _upgrades[(int)result]);

    public void Opened() => Interlocked.Increment(ref _open);

    /// <summary>A tunnel ended: the gauge drops and the reason is counted, once per tunnel.</summary>
    public void Closed(WebSocketCloseReason reason)
    {
        Interlocked.Decrement(ref _open);
        Interlocked.Increment(ref _closes[(int)reason]);
    }

    /// <summary>Bytes a tunnel forwarded (frames as they are on the wire); added once per read.</summary>
    public void AddBytes(bool fromClient, long count) =>
        Interlocked.Add(ref fromClient ? ref _bytesFromClient : ref _bytesFromUpstream, count);

    public void WriteTo(StringBuilder text)
    {
        text.Append("# HELP fastgate_websocket_upgrades_total WebSocket upgrade requests, by result (ok, refused, bad_request, bad_upstream_response).\n# TYPE fastgate_websocket_upgrades_total counter\n");
        foreach (var result in Enum.GetValues<WebSocketUpgradeResult>())
        {
            text.Append("fastgate_websocket_upgrades_total{result=\"").Append(ResultName(result)).Append("\"} ").Append(Upgrades(result)).Append('\n');
        }
        text.Append("# HELP fastgate_websocket_open WebSocket tunnels open now.\n# TYPE fastgate_websocket_open gauge\n");
        text.Append("fastgate_websocket_open ").Append(Open).Append('\n');
        text.Append("# HELP fastgate_websocket_bytes_total Bytes of WebSocket frames forwarded through tunnels, by the side that sent them (client, upstream).\n# TYPE fastgate_websocket_bytes_total counter\n");
        text.Append("fastgate_websocket_bytes_total{direction=\"client\"} ").Append(Bytes(fromClient: true)).Append('\n');
        text.Append("fastgate_websocket_bytes_total{direction=\"upstream\"} ").Append(Bytes(fromClient: false)).Append('\n');
        text.Append("# HELP fastgate_websocket_closes_total WebSocket tunnels ended, by reason.\n# TYPE fastgate_websocket_closes_total counter\n");
        foreach (var reason in Enum.GetValues<WebSocketCloseReason>())
        {
            text.Append("fastgate_websocket_closes_total{reason=\"").Append(ReasonName(reason)).Append("\"} ").Append(Closes(reason)).Append('\n');
        }
    }

    public static string ResultName(WebSocketUpgradeResult result) => result switch
    {
        WebSocketUpgradeResult.Ok => "ok",
        WebSocketUpgradeResult.Refused => "refused",
        WebSocketUpgradeResult.BadRequest => "bad_request",
        _ => "bad_upstream_response",
    };

    public static string ReasonName(WebSocketCloseReason reason) => reason switch
    {
        WebSocketCloseReason.Normal => "normal",
        WebSocketCloseReason.Violation1002 => "violation_1002",
        WebSocketCloseReason.Violation1007 => "violation_1007",
        WebSocketCloseReason.Violation1009 => "violation_1009",
        WebSocketCloseReason.Idle => "idle",
        WebSocketCloseReason.MaxDuration => "max_duration",
        WebSocketCloseReason.Drain => "drain",
        _ => "reset",
    };
}
