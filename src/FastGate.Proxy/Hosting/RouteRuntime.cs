using System.Diagnostics;
using System.Text;
using FastGate.Proxy.Config;
using FastGate.Proxy.Observability;
using FastGate.Proxy.Stages;
using FastGate.Proxy.Upstreams;

namespace FastGate.Proxy.Hosting;

/// <summary>A route as a snapshot serves it: its model resolved to the cluster and precomputed bytes.</summary>
public sealed class RouteRuntime
{
    public RouteRuntime(RouteModel model, Cluster? cluster, RouteState state, StageChain stages)
    {
        Model = model;
        Cluster = cluster;
        State = state;
        Stages = stages;
        NameUtf8 = Encoding.UTF8.GetBytes(model.Name);
        StripPrefix = model.StripPrefix is null ? [] : Encoding.UTF8.GetBytes(model.StripPrefix);
        TimeoutTicks = (long)(model.Timeout.TotalSeconds * Stopwatch.Frequency);
        FirstByteTicks = model.FirstByteTimeout is { } firstByte ? (long)(firstByte.TotalSeconds * Stopwatch.Frequency) : 0;
        MaxStreamTicks = model.MaxStreamDuration is { } maxStream ? (long)(maxStream.TotalSeconds * Stopwatch.Frequency) : 0;
    }

    public RouteModel Model { get; }
    /// <summary>Null for a route that only answers locally (a redirect, a direct response).</summary>
    public Cluster? Cluster { get; }
    public RouteState State { get; }
    /// <summary>The route's stages, compiled with the snapshot; <see cref="StageChain.Empty"/> when it has none.</summary>
    public StageChain Stages { get; }
    public byte[] NameUtf8 { get; }
    /// <summary>Empty when the route strips nothing.</summary>
    public byte[] StripPrefix { get; }
    public long TimeoutTicks { get; }
    /// <summary>first_byte_timeout in Stopwatch ticks; 0 when the route has none.</summary>
    public long FirstByteTicks { get; }
    /// <summary>max_stream_duration in Stopwatch ticks; 0 when streams are unlimited.</summary>
    public long MaxStreamTicks { get; }
    public long MaxBodyBytes => Model.MaxBodyBytes;
}
