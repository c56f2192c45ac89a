using System.Text;

namespace FastGate.Proxy.Observability;

/// <summary>
/// Long-lived exchanges (SSE, streaming responses, WebSocket tunnels): open now, started, ended by
/// reason, and upstream first-byte timeouts. Recording is one atomic per event on fixed arrays;
/// rendering (admin path) may allocate.
/// </summary>
public sealed class StreamMetrics
{
    private static readonly StreamKind[] Kinds = Enum.GetValues<StreamKind>();
    private static readonly StreamEndReason[] Reasons = Enum.GetValues<StreamEndReason>();

    private readonly long[] _open = new long[Kinds.Length];
    private readonly long[] _started = new long[Kinds.Length];
    private readonly long[] _ends = new long[Kinds.Length * Reasons.Length];
    private long _firstByteTimeouts;

    public void Opened(StreamKind kind)
    {
        Interlocked.Increment(ref _open[(int)kind]);
        Interlocked.Increment(ref _started[(int)kind]);
    }

    /// <summary>A stream that <see cref="Opened"/> ended; <see cref="StreamEndReason.None"/> counts as client_gone.</summary>
    public void Ended(StreamKind kind, StreamEndReason reason)
    {
        if (reason == StreamEndReason.None)
        {
            reason = StreamEndReason.ClientGone;
        }
        Interlocked.Decrement(ref _open[(int)kind]);
        Interlocked.Increment(ref _ends[(int)kind * Reasons.Length + (int)reason]);
    }

    public void FirstByteTimeout() => Interlocked.Increment(ref _firstByteTimeouts);

    public long Open(StreamKind kind) => Interlocked.Read(ref _open[(int)kind]);

    public long Ends(StreamKind kind, StreamEndReason reason) => Interlocked.Read(ref _ends[(int)kind * Reasons.Length + (int)reason]);

    public long FirstByteTimeouts => Interlocked.Read(ref _firstByteTimeouts);

    /// <summary>Streams of every kind open now.</summary>
    public long OpenTotal
    {
        get
        {
            long open = 0;
            foreach (var kind in Kinds)
            {
                open += Open(kind);
            }
            return open;
        }
    }

    public void WriteTo(StringBuilder text)
    {
        Header(text, "fastgate_streams_open", "Long-lived exchanges open now, by kind (sse, http: a streaming route's response).", "gauge");
        foreach (var kind in Kinds)
        {
            text.Append("fastgate_streams_open{kind=\"").Append(Name(kind)).Append("\"} ").Append(Open(kind)).Append('\n');
        }
        Header(text, "fastgate_streams_total", "Long-lived exchanges started, by kind.", "counter");
        foreach (var kind in Kinds)
        {
            text.Append("fastgate_streams_total{kind=\"").Append(Name(kind)).Append("\"} ").Append(Interlocked.Read(ref _started[(int)kind])).Append('\n');
        }
        Header(text, "fastgate_stream_ends_total", "Long-lived exchanges ended, by kind and reason.", "counter");
        foreach (var kind in Kinds)
        {
            foreach (var reason in Reasons)
            {
                if (reason != StreamEndReason.None)
                {
                    text.Append("fastgate_stream_ends_total{kind=\"").Append(Name(kind)).Append("\",reason=\"").Append(Name(reason)).Append("\"} ")
                        .Append(Ends(kind, reason)).Append('\n');
                }
            }
        }
        Header(text, "fastgate_upstream_first_byte_timeouts_total", "Upstream tries that sent no byte of a response within the route's first_byte_timeout (answered 504 or retried).", "counter");
        text.Append("fastgate_upstream_first_byte_timeouts_total ").Append(FirstByteTimeouts).Append('\n');
    }

    public static string Name(StreamKind kind) => kind switch
    {
        StreamKind.Sse => "sse",
        _ => "http",
    };

    public static string Name(StreamEndReason reason) => reason switch
    {
        StreamEndReason.Complete => "complete",
        StreamEndReason.ClientGone => "client_gone",
        StreamEndReason.UpstreamGone => "upstream_gone",
        StreamEndReason.IdleTimeout => "idle_timeout",
        StreamEndReason.MaxDuration => "max_duration",
        StreamEndReason.Drain => "drain",
        _ => "none",
    };

    private static void Header(StringBuilder text, string name, string help, string type) =>
        text.Append("# HELP ").Append(name).Append(' ').Append(help).Append("\n# TYPE ").Append(name).Append(' ').Append(type).Append('\n');
}
