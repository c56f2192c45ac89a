using System.Net;
using System.Text;
using FastGate.Core.Buffers;
using FastGate.Core.Http;
using FastGate.Core.Http1;
using FastGate.Core.Transport.Epoll;
using FastGate.Proxy.Config;
using FastGate.Proxy.Hosting;
using FastGate.Proxy.Stages;
using FastGate.Proxy.Upstreams;

namespace FastGate.Proxy.Forwarding;

/// <summary>
/// One request/response pair, whatever front it came in on: what the stages read and change, and
/// what the access log and the metrics count. A front takes one from the gateway's
/// <see cref="ExchangePool"/> when a request head has arrived (an HTTP/1.1 connection, later an
/// HTTP/2 stream) and gives it back, reset, when the exchange ends; its request head storage and
/// its upstream leg go with it. Nothing here is allocated per request once the pool and the
/// buffers have grown to the traffic.
/// <para>
/// Only the loop that runs the exchange touches it; stages get it for the length of a phase call
/// (or of the ValueTask a head phase returns) and must not keep it.
/// </para>
/// </summary>
public sealed partial class Exchange
{
    private object?[] _slots = [];
    private long[] _values = [];
    private ExchangeScratch? _scratch;

    /// <summary>What stages write, made when a stage first needs it.</summary>
    internal ExchangeScratch Scratch => _scratch ??= new ExchangeScratch();

    /// <summary>The longest request id kept; a longer incoming x-request-id is replaced.</summary>
    public const int RequestIdLength = 64;

    /// <summary>An empty exchange, as the pool makes them.</summary>
    public Exchange()
    {
        Request = new RequestHead();
        ClientAddressBytes = [];
        ClientIpBytes = [];
    }

    /// <summary>
    /// An exchange for a request head given as text, parsed as the HTTP/1.1 front parses it, from
    /// <paramref name="client"/>: what a stage's tests and benchmarks start from. Throws on a head
    /// the front would refuse.
    /// </summary>
    public static Exchange ForRequest(string head, IPAddress client)
    {
        var exchange = new Exchange();
        var request = exchange.Request;
        request.Buffer = Encoding.Latin1.GetBytes(head);
        request.Length = request.Buffer.Length;
        var error = Http1Parser.ParseRequest(request, maxHeaders: 1000);
        if (error != Http1Error.None)
        {
            throw new ArgumentException($"the request head is refused: {error}", nameof(head));
        }
        exchange.ClientAddressBytes = Encoding.ASCII.GetBytes(client.ToString());
        exchange.ClientIpBytes = client.GetAddressBytes();
        return exchange;
    }

    /// <summary>The request head as the client sent it (path normalized); it travels with the pooled exchange.</summary>
    public RequestHead Request { get; }

    /// <summary>The upstream side of this exchange; pooled with it.</summary>
    internal UpstreamLeg Leg { get; } = new();

    /// <summary>Where the request head is copied; kept across the exchanges this object serves.</summary>
    internal HeadArray RequestHeadArray;
    /// <summary>The upstream's final response head, once it arrived.</summary>
    public ResponseHead? Response { get; internal set; }
    public GatewaySnapshot Snapshot { get; internal set; } = null!;
    public RouteRuntime? Route { get; internal set; }
    public StageChain Chain { get; internal set; } = StageChain.Empty;
    /// <summary>The cluster the next attempt picks from: the route's, unless a stage chose another.</summary>
    public Cluster? Cluster { get; set; }
    public EndpointState? Endpoint { get; internal set; }
    /// <summary>0 for the first upstream attempt, +1 for each retry or fallback.</summary>
    public int Attempt { get; internal set; }
    public long StartTimestamp { get; internal set; }

    private long _grpcDeadline;
    private bool _grpcDeadlineRead;

    /// <summary>
    /// When the client's gRPC deadline passes (its grpc-timeout counted from <see cref="StartTimestamp"/>),
    /// in Stopwatch ticks; long.MaxValue when the request has none or a malformed one. The head is
    /// searched once per exchange, not at every check (pick, request head, response wait).
    /// </summary>
    internal long GrpcDeadline
    {
        get
        {
            if (!_grpcDeadlineRead)
            {
                _grpcDeadline = ReadGrpcDeadline();
                _grpcDeadlineRead = true;
            }
            return _grpcDeadline;
        }
    }

    private long ReadGrpcDeadline()
    {
        var request = Request;
        foreach (ref readonly var header in request.Headers)
        {
            if (header.Known == KnownHeader.Other && Ascii.EqualsIgnoreCase(request.Name(header), "grpc-timeout"u8))
            {
                var timeout = GrpcTimeout.Parse(request.Value(header));
                return timeout >= long.MaxValue - StartTimestamp ? long.MaxValue : StartTimestamp + timeout;
            }
        }
        return long.MaxValue;
    }
    /// <summary>Stopwatch ticks from the request sent upstream to the response head read.</summary>
    public long UpstreamTicks { get; internal set; }
    public long BytesIn { get; internal set; }
    public long BytesOut { get; internal set; }
    /// <summary>Model tokens counted by AI stages (0 elsewhere).</summary>
    public long InputTokens { get; set; }
    public long OutputTokens { get; set; }
    /// <summary>The status sent to the client; 0 until one is chosen, 499 when the client left first.</summary>
    public int Status { get; internal set; }
    /// <summary>Who is calling, once an auth stage knew; null for an anonymous caller.</summary>
    public ConsumerModel? Consumer { get; set; }

    /// <summary>The client's IP as text (ASCII), as X-Forwarded-For and the access log show it.</summary>
    public byte[] ClientAddressBytes { get; internal set; }
    /// <summary>The client is a trusted proxy (trusted_proxies): the X-Forwarded-For it sent is carried on.</summary>
    public bool ClientTrusted { get; internal set; }
    /// <summary>The client's IP as 4 (IPv4) or 16 (IPv6) bytes; empty when unknown.</summary>
    public byte[] ClientIpBytes { get; internal set; }
    /// <summary>The client connection's TLS session (who the client proved to be); null on a plain connection.</summary>
    public Tls.TlsConnectionInfo? ClientTls { get; internal set; }

    /// <summary>Per-stage state (see <see cref="Stage.SlotBase"/>), cleared between exchanges.</summary>
    public Span<object?> Slots => _slots.AsSpan(0, Chain.SlotCount);
    public Span<long> Values => _values.AsSpan(0, Chain.SlotCount);

    /// <summary>Fields to set, add or drop on the request sent upstream.</summary>
    public HeaderEdits UpstreamRequestHeaders => Scratch.UpstreamRequestHeaders;
    /// <summary>Fields to set, add or drop on the response the client gets (proxied or local).</summary>
    public HeaderEdits ResponseHeaders => Scratch.ResponseHeaders;

    /// <summary>The upstream request's edits when a stage made any (the front's fast check).</summary>
    internal HeaderEdits? UpstreamRequestEdits => _scratch is { UpstreamRequestHeaders.Count: > 0 } s ? s.UpstreamRequestHeaders : null;
    /// <summary>The client response's edits when a stage made any.</summary>
    internal HeaderEdits? ResponseEdits => _scratch is { ResponseHeaders.Count: > 0 } s ? s.ResponseHeaders : null;

    /// <summary>The x-request-id of this exchange: the client's, or one a stage generated; empty when none.</summary>
    public ReadOnlySpan<byte> RequestId => _scratch is { } s ? s.RequestId.AsSpan(0, s.RequestIdLength) : default;

    public void SetRequestId(ReadOnlySpan<byte> id)
    {
        var scratch = Scratch;
        var length = Math.Min(id.Length, RequestIdLength);
        id[..length].CopyTo(scratch.RequestId);
        scratch.RequestIdLength = length;
    }

    /// <summary>True when a stage replaced the target (path and query) sent upstream.</summary>
    public bool HasUpstreamTarget => _scratch is { UpstreamTarget.Length: > 0 };
    public ReadOnlySpan<byte> UpstreamTarget => _scratch is { } s ? s.UpstreamTarget.WrittenSpan : default;

    /// <summary>Sends <paramref name="target"/> (a path starting with '/', with its query if any) upstream instead of the client's.</summary>
    public void SetUpstreamTarget(ReadOnlySpan<byte> target)
    {
        var buffer = Scratch.UpstreamTarget;
        buffer.Clear();
        buffer.Write(target);
    }

    public bool HasUpstreamHost => _scratch is { UpstreamHost.Length: > 0 };
    public ReadOnlySpan<byte> UpstreamHost => _scratch is { } s ? s.UpstreamHost.WrittenSpan : default;

    /// <summary>Sends this Host upstream instead of the client's.</summary>
    public void SetUpstreamHost(ReadOnlySpan<byte> host)
    {
        var buffer = Scratch.UpstreamHost;
        buffer.Clear();
        buffer.Write(host);
    }

    // ---- local answers ----

    /// <summary>Set when a stage answered; the front writes it instead of going upstream.</summary>
    public int LocalStatus { get; private set; }
    public bool IsAnswered => LocalStatus != 0;
    /// <summary>Fields of the local answer (WWW-Authenticate, Retry-After, Location...).</summary>
    public HeaderEdits LocalHeaders => Scratch.LocalHeaders;
    public ReadOnlySpan<byte> LocalBody => _scratch is { } s ? s.LocalBody.WrittenSpan : default;
    public ReadOnlySpan<byte> LocalContentType => _scratch is { } s ? s.LocalContentType.WrittenSpan : default;

    /// <summary>Answers with <paramref name="status"/> and the proxy's usual short text body for it.</summary>
    public StageOutcome Answer(int status) => Answer(status, default, default);

    /// <summary>
    /// Answers locally: nothing goes upstream, later stages of the phase do not run. An empty
    /// <paramref name="body"/> sends no body (Content-Length: 0), except that a status the proxy
    /// has a text for gets that text when <paramref name="contentType"/> is empty too.
    /// </summary>
    public StageOutcome Answer(int status, ReadOnlySpan<byte> body, ReadOnlySpan<byte> contentType)
    {
        var scratch = Scratch;
        LocalStatus = status;
        scratch.LocalBody.Clear();
        scratch.LocalBody.Write(body);
        scratch.LocalContentType.Clear();
        scratch.LocalContentType.Write(contentType);
        return StageOutcome.Answered;
    }

    /// <summary>A JSON answer: <c>{"error":{"message":...,"type":...}}</c> shapes are the caller's to write.</summary>
    public StageOutcome AnswerJson(int status, ReadOnlySpan<byte> json) => Answer(status, json, "application/json"u8);

    // ---- bodies ----

    /// <summary>The whole request body, when the route's chain buffers it.</summary>
    public ReadOnlySpan<byte> RequestBody => _scratch is { } s ? s.RequestBody.WrittenSpan : default;
    internal PooledByteBuffer RequestBodyBuffer => Scratch.RequestBody;

    /// <summary>Where a body phase writes what replaces the bytes it was shown (<see cref="BodyVerdict.Replace"/>).</summary>
    public PooledByteBuffer Replacement => Scratch.Replacement;

    internal void TakeReplacementAsRequestBody()
    {
        var scratch = Scratch;
        scratch.RequestBody.Swap(scratch.Replacement);
        scratch.Replacement.Clear();
    }

    // ---- lifecycle, for the front ----

    /// <summary>Starts a new exchange on the snapshot the front serves with (the exchange is new or cleared).</summary>
    internal void Begin(GatewaySnapshot snapshot, long headBytes)
    {
        Snapshot = snapshot;
        StartTimestamp = LoopClock.Now;
        _grpcDeadlineRead = false;
        BytesIn = headBytes;
    }

    /// <summary>The route matched: its chain's slots are made ready.</summary>
    internal void Routed(RouteRuntime route)
    {
        Route = route;
        Cluster = route.Cluster;
        var chain = route.Stages;
        Chain = chain;
        if (_slots.Length < chain.SlotCount)
        {
            _slots = new object?[chain.SlotCount];
            _values = new long[chain.SlotCount];
        }
    }

    /// <summary>Clears what stages left and gives large buffers back; called when the exchange ended.</summary>
    internal void Clear()
    {
        LocalStatus = 0;
        Slots.Clear();
        Values.Clear();
        _scratch?.Clear();
        Leg.Clear();
        // A pooled exchange must not keep a replaced snapshot (its routes, clusters, stages) alive.
        Snapshot = null!;
        Route = null;
        Chain = StageChain.Empty;
        Cluster = null;
        Endpoint = null;
        Response = null;
        Consumer = null;
        ClientAddressBytes = [];
        ClientIpBytes = [];
        ClientTls = null;
        BytesIn = BytesOut = 0;
        Status = 0;
        UpstreamTicks = 0;
        Attempt = 0;
        InputTokens = OutputTokens = 0;
        FirstByteSentTimestamp = 0;
        ClearHeldHead();
    }

    /// <summary>Gives every pooled buffer back: the exchange leaves the pool for good.</summary>
    internal void Release()
    {
        Clear();
        Leg.Release();
        RequestHeadArray.Drop();
        _scratch?.Release();
        _scratch = null;
    }
}
