using System.Globalization;
using System.Text;

namespace FastGate.Tools.H2Flood;

/// <summary>What every connection of a run sent and got back, summed; thread-safe.</summary>
internal sealed class FloodStats
{
    private readonly object _gate = new();
    private readonly SortedDictionary<string, long> _goaways = new(StringComparer.Ordinal);
    private readonly SortedDictionary<string, long> _resets = new(StringComparer.Ordinal);
    private readonly SortedDictionary<string, long> _statuses = new(StringComparer.Ordinal);
    private long _connectionsOpened, _connectFailed, _closedByServer, _framesSent, _bytesSent, _streamsOpened;
    private long _framesReceived, _bytesReceived, _pingAcks, _settingsAcks;
    private double _firstGoAwaySeconds = -1;

    public long ConnectionsOpened => Interlocked.Read(ref _connectionsOpened);

    public void ConnectionOpened() => Interlocked.Increment(ref _connectionsOpened);
    public void ConnectFailed() => Interlocked.Increment(ref _connectFailed);
    public void ClosedByServer() => Interlocked.Increment(ref _closedByServer);
    public void StreamsOpened(int n) => Interlocked.Add(ref _streamsOpened, n);
    public void PingAck() => Interlocked.Increment(ref _pingAcks);
    public void SettingsAck() => Interlocked.Increment(ref _settingsAcks);

    public void Sent(int frames, int bytes)
    {
        Interlocked.Add(ref _framesSent, frames);
        Interlocked.Add(ref _bytesSent, bytes);
    }

    public void Received(int frames, int bytes)
    {
        Interlocked.Add(ref _framesReceived, frames);
        Interlocked.Add(ref _bytesReceived, bytes);
    }

    /// <summary>A GOAWAY, with the seconds since the connection opened (the first one of the run is kept).</summary>
    public void GoAway(uint code, double secondsAfterOpen)
    {
        lock (_gate)
        {
            Add(_goaways, ErrorName(code));
            if (_firstGoAwaySeconds < 0 || secondsAfterOpen < _firstGoAwaySeconds)
            {
                _firstGoAwaySeconds = secondsAfterOpen;
            }
        }
    }

    public void Reset(uint code)
    {
        lock (_gate)
        {
            Add(_resets, ErrorName(code));
        }
    }

    public void Status(string status)
    {
        lock (_gate)
        {
            Add(_statuses, status);
        }
    }

    public static string ErrorName(uint code) => code switch
    {
        0x0 => "NO_ERROR",
        0x1 => "PROTOCOL_ERROR",
        0x2 => "INTERNAL_ERROR",
        0x3 => "FLOW_CONTROL_ERROR",
        0x4 => "SETTINGS_TIMEOUT",
        0x5 => "STREAM_CLOSED",
        0x6 => "FRAME_SIZE_ERROR",
        0x7 => "REFUSED_STREAM",
        0x8 => "CANCEL",
        0x9 => "COMPRESSION_ERROR",
        0xa => "CONNECT_ERROR",
        0xb => "ENHANCE_YOUR_CALM",
        0xc => "INADEQUATE_SECURITY",
        0xd => "HTTP_1_1_REQUIRED",
        _ => "0x" + code.ToString("x", CultureInfo.InvariantCulture),
    };

    public string ToJson(FloodOptions o, double seconds)
    {
        lock (_gate)
        {
            var sb = new StringBuilder();
            sb.Append(CultureInfo.InvariantCulture,
                $"{{\"attack\":\"{o.Attack}\",\"target\":\"{o.Target}\",\"connections\":{o.Connections},\"seconds\":{seconds:F2}");
            sb.Append(CultureInfo.InvariantCulture,
                $",\"connections_opened\":{_connectionsOpened},\"connect_failed\":{_connectFailed},\"closed_by_server\":{_closedByServer}");
            sb.Append(CultureInfo.InvariantCulture,
                $",\"frames_sent\":{_framesSent},\"bytes_sent\":{_bytesSent},\"streams_opened\":{_streamsOpened}");
            sb.Append(CultureInfo.InvariantCulture,
                $",\"frames_received\":{_framesReceived},\"bytes_received\":{_bytesReceived},\"ping_acks\":{_pingAcks},\"settings_acks\":{_settingsAcks}");
            sb.Append(CultureInfo.InvariantCulture, $",\"first_goaway_s\":{(_firstGoAwaySeconds < 0 ? "null" : _firstGoAwaySeconds.ToString("F3", CultureInfo.InvariantCulture))}");
            AppendMap(sb, "goaway", _goaways);
            AppendMap(sb, "rst_stream", _resets);
            AppendMap(sb, "status", _statuses);
            sb.Append('}');
            return sb.ToString();
        }
    }

    public string ToText(FloodOptions o, double seconds)
    {
        lock (_gate)
        {
            var sb = new StringBuilder();
            var c = CultureInfo.InvariantCulture;
            sb.Append(c, $"h2flood {o.Attack} on {o.Target}, {o.Connections} connection(s), {seconds:F1} s: ");
            sb.Append(c, $"sent {_framesSent} frames ({_bytesSent / 1024.0 / 1024.0:F1} MiB), {_streamsOpened} streams opened; ");
            sb.Append(c, $"{_connectionsOpened} connections opened, {_closedByServer} closed by the server, {_connectFailed} connects failed; ");
            sb.Append(c, $"received {_framesReceived} frames; GOAWAY {Text(_goaways)}; RST_STREAM {Text(_resets)}; responses {Text(_statuses)}");
            if (_firstGoAwaySeconds >= 0)
            {
                sb.Append(c, $"; first GOAWAY {_firstGoAwaySeconds * 1000:F0} ms after its connection opened");
            }
            return sb.ToString();
        }
    }

    private static void Add(SortedDictionary<string, long> map, string key) =>
        map[key] = map.GetValueOrDefault(key) + 1;

    private static void AppendMap(StringBuilder sb, string name, SortedDictionary<string, long> map)
    {
        sb.Append(",\"").Append(name).Append("\":{");
        var first = true;
        foreach (var (k, v) in map)
        {
            sb.Append(first ? "" : ",").Append('"').Append(k).Append("\":").Append(v);
            first = false;
        }
        sb.Append('}');
    }

    private static string Text(SortedDictionary<string, long> map) =>
        map.Count == 0 ? "none" : string.Join(", ", map.Select(kv => $"{kv.Key} x{kv.Value}"));
}
