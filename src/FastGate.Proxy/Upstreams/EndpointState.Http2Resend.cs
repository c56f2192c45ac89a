using System.Diagnostics;
using FastGate.Proxy.Upstreams.Http2;

namespace FastGate.Proxy.Upstreams;

/// <summary>
/// A place for an HTTP/2 stream the server did not process (REFUSED_STREAM, or above a GOAWAY's
/// last id), to be sent again (<see cref="Http2UpstreamStream"/>, Resend.cs): another session of
/// this endpoint with room, or a new one, never the session that refused it.
/// </summary>
public sealed partial class EndpointState
{
    /// <summary>
    /// Admits <paramref name="stream"/> on a session other than <paramref name="refusedBy"/>,
    /// opening one when none has room, within the cluster's connect timeout; throws as
    /// <see cref="ConnectAsync"/> does when no connection can be made.
    /// </summary>
    internal async Task<Http2UpstreamSession> AdmitResentAsync(Http2UpstreamStream stream, Http2UpstreamSession refusedBy)
    {
        var timeout = Cluster.Model.ConnectTimeout;
        var started = Stopwatch.GetTimestamp();
        while (true)
        {
            if (TryOpenStream(out var open, stream, refusedBy) is not null)
            {
                return open!;
            }
            var session = await NextSessionAsync(timeout, started).ConfigureAwait(false);
            if (session != refusedBy && session.TryAdmit(stream) is not null)
            {
                return session;
            }
            if (Stopwatch.GetElapsedTime(started) >= timeout)
            {
                throw new OperationCanceledException("connect timeout");
            }
        }
    }
}
