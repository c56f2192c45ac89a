using System.Text;
using FastGate.Core.Http1;
using FastGate.Proxy.Upstreams;

namespace FastGate.Proxy.Forwarding;

/// <summary>
/// The 503 of a cluster over one of its circuit caps, naming the cap in <c>X-FastGate-Circuit</c>
/// so a client or an operator can tell it from an outage. Built once per cap, so a flood refused
/// by a cap allocates nothing.
/// </summary>
internal static class CircuitAnswers
{
    private const string Body = "upstream circuit open\n";
    private static readonly byte[] BodyBytes = Encoding.ASCII.GetBytes(Body);

    private static readonly CircuitCap[] Caps = [CircuitCap.MaxConnections, CircuitCap.MaxPending, CircuitCap.MaxRequests];
    private static readonly byte[][] Fields = new byte[Caps.Length + 1][];
    private static readonly byte[][] KeepAlive = new byte[Caps.Length + 1][];
    private static readonly byte[][] Close = new byte[Caps.Length + 1][];

    static CircuitAnswers()
    {
        foreach (var cap in Caps)
        {
            var field = $"X-FastGate-Circuit: {cap.Name()}\r\n";
            Fields[(int)cap] = Encoding.ASCII.GetBytes(field);
            KeepAlive[(int)cap] = Http1StatusResponses.Compose(503, close: false, field, Body);
            Close[(int)cap] = Http1StatusResponses.Compose(503, close: true, field, Body);
        }
    }

    /// <summary>The body alone, for answers written field by field.</summary>
    public static ReadOnlySpan<byte> BodyUtf8 => BodyBytes;

    /// <summary>The header line naming <paramref name="cap"/>, CRLF included, for answers written field by field.</summary>
    public static ReadOnlySpan<byte> Field(CircuitCap cap) => Fields[(int)cap];

    /// <summary>The whole answer; for a HEAD request its head only.</summary>
    public static ReadOnlySpan<byte> Response(CircuitCap cap, bool close, bool headOnly)
    {
        var response = close ? Close[(int)cap] : KeepAlive[(int)cap];
        return headOnly ? Http1StatusResponses.HeadOf(response) : response;
    }
}
