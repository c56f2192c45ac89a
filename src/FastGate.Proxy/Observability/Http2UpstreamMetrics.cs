using System.Text;

namespace FastGate.Proxy.Observability;

/// <summary>
/// HTTP/2 to upstreams (clusters with protocol = "h2" or "h2c"), process-wide: sessions open,
/// streams opened, GOAWAYs received, sessions retired because their stream ids ran out. Atomic,
/// allocation-free counting; rendering is on the admin path.
/// </summary>
public sealed class Http2UpstreamMetrics : IMetricsSource
{
    /// <summary>The one set the sessions count into (an endpoint has no other way to the gateway's metrics).</summary>
    public static Http2UpstreamMetrics Shared { get; } = new();

    private long _sessionsOpen;
    private long _sessionsTotal;
    private long _streamsTotal;
    private long _goAways;
    private long _streamIdExhaustion;
    private long _streamsResent;

    public long SessionsOpen => Interlocked.Read(ref _sessionsOpen);
    public long SessionsTotal => Interlocked.Read(ref _sessionsTotal);
    public long StreamsTotal => Interlocked.Read(ref _streamsTotal);
    public long GoAwaysReceived => Interlocked.Read(ref _goAways);
    public long StreamIdExhaustion => Interlocked.Read(ref _streamIdExhaustion);
    public long StreamsResent => Interlocked.Read(ref _streamsResent);

    public void SessionOpened()
    {
        Interlocked.Increment(ref _sessionsOpen);
        Interlocked.Increment(ref _sessionsTotal);
    }

    public void SessionClosed() => Interlocked.Decrement(ref _sessionsOpen);

    public void StreamOpened() => Interlocked.Increment(ref _streamsTotal);

    public void GoAwayReceived() => Interlocked.Increment(ref _goAways);

    public void StreamIdsExhausted() => Interlocked.Increment(ref _streamIdExhaustion);

    /// <summary>A stream the server did not process (REFUSED_STREAM, GOAWAY) went out again on another session.</summary>
    public void StreamResent() => Interlocked.Increment(ref _streamsResent);

    public void WriteTo(StringBuilder text)
    {
        text.Append("# HELP fastgate_http2_upstream_sessions_open HTTP/2 connections to upstream endpoints open now.\n# TYPE fastgate_http2_upstream_sessions_open gauge\n");
        text.Append("fastgate_http2_upstream_sessions_open ").Append(SessionsOpen).Append('\n');
        text.Append("# HELP fastgate_http2_upstream_sessions_total HTTP/2 connections opened to upstream endpoints.\n# TYPE fastgate_http2_upstream_sessions_total counter\n");
        text.Append("fastgate_http2_upstream_sessions_total ").Append(SessionsTotal).Append('\n');
        text.Append("# HELP fastgate_http2_upstream_streams_total Requests sent as HTTP/2 streams to upstream endpoints.\n# TYPE fastgate_http2_upstream_streams_total counter\n");
        text.Append("fastgate_http2_upstream_streams_total ").Append(StreamsTotal).Append('\n');
        text.Append("# HELP fastgate_http2_upstream_goaway_received_total GOAWAY frames received from upstream endpoints.\n# TYPE fastgate_http2_upstream_goaway_received_total counter\n");
        text.Append("fastgate_http2_upstream_goaway_received_total ").Append(GoAwaysReceived).Append('\n');
        text.Append("# HELP fastgate_http2_upstream_stream_id_exhaustion_total Upstream HTTP/2 connections that took no new stream because their stream ids ran out.\n# TYPE fastgate_http2_upstream_stream_id_exhaustion_total counter\n");
        text.Append("fastgate_http2_upstream_stream_id_exhaustion_total ").Append(StreamIdExhaustion).Append('\n');
        text.Append("# HELP fastgate_http2_upstream_streams_resent_total Upstream HTTP/2 streams the server did not process (REFUSED_STREAM, GOAWAY) sent again on another connection.\n# TYPE fastgate_http2_upstream_streams_resent_total counter\n");
        text.Append("fastgate_http2_upstream_streams_resent_total ").Append(StreamsResent).Append('\n');
    }
}
