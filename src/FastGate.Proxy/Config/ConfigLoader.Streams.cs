namespace FastGate.Proxy.Config;

// The route keys of long-lived responses: SSE and other streams (docs/config.md, "Streams (SSE)").
public static partial class ConfigLoader
{
    // In a nested class so that RouteKeys, in another part of this class, can spread it (see Transform).
    private static class Streams
    {
        public static readonly string[] Keys = ["streaming", "stream_idle_timeout", "max_stream_duration", "first_byte_timeout"];
    }

    /// <summary>Reads the stream keys of one [[route]]; each is null (its default) when absent or invalid.</summary>
    private static (bool Streaming, TimeSpan? IdleTimeout, TimeSpan? MaxDuration, TimeSpan? FirstByteTimeout) ReadRouteStreams(ConfigReader r, TomlTableNode table) =>
        (r.Boolean(table, "streaming") ?? false,
         r.Duration(table, "stream_idle_timeout"),
         r.Duration(table, "max_stream_duration"),
         r.Duration(table, "first_byte_timeout"));
}
