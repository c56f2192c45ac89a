namespace FastGate.Proxy.Forwarding.Http2;

// The response side of a WebSocket opened with extended CONNECT (Http2Connection.Tunnel.cs).
internal sealed partial class Http2Stream
{
    /// <summary>An extended CONNECT bridged as a WebSocket upgrade: a 101 from the front opens the tunnel.</summary>
    public bool IsTunnel;

    /// <summary>The front's answer decides the tunnel: a switch (101) or a 2xx, which to a CONNECT would mean the same.</summary>
    private bool IsTunnelAnswer() => _head.StatusCode == 101 || _head.StatusCode is >= 200 and < 300;

    /// <summary>
    /// A 101 opens the tunnel: :status 200 goes out, and the front's bytes after the 101 (it sends
    /// neither Content-Length nor Transfer-Encoding on one) are sent on as they come, as a body that
    /// ends with the front's output; true. A 2xx without a switch is refused with 502; false.
    /// </summary>
    private bool OpenTunnel()
    {
        if (_head.StatusCode != 101)
        {
            _connection.RefuseTunnelAnswer(this);
            return false;
        }
        _head.ContentLength = -1;
        _head.IsChunked = false;
        _connection.SendTunnelHead(this, _head);
        return true;
    }
}
