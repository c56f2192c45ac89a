namespace FastGate.Proxy.Observability;

/// <summary>One access-log line's fields, as views over the exchange's buffers.</summary>
public ref struct AccessLogRecord
{
    public DateTime Time;
    public ReadOnlySpan<byte> Client;
    public ReadOnlySpan<byte> Method;
    public ReadOnlySpan<byte> Target;
    /// <summary>How the client spoke: HTTP/1.0, HTTP/1.1 or HTTP/2.0.</summary>
    public ReadOnlySpan<byte> Protocol;
    public ReadOnlySpan<byte> Host;
    public int Status;
    public long BytesIn;
    public long BytesOut;
    public long DurationTicks;
    public ReadOnlySpan<byte> Route;
    public ReadOnlySpan<byte> Upstream;
    public long UpstreamTicks;
    /// <summary>Empty when the caller is anonymous.</summary>
    public ReadOnlySpan<byte> Consumer;
    /// <summary>Empty when the route keeps no request id.</summary>
    public ReadOnlySpan<byte> RequestId;
}
