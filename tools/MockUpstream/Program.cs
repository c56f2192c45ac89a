using System.Buffers;
using System.Collections.Frozen;
using System.Globalization;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.Primitives;

namespace FastGate.Tools.MockUpstream;

/// <summary>
/// A deterministic HTTP/1.1 origin for FastGate's functional tests and benchmarks.
/// Every endpoint is served from one terminal delegate with a hand-written dispatch:
/// endpoint routing would add per-request work to the benchmark path ("/") that the
/// peers we compare against (a static nginx origin) do not pay.
/// </summary>
public static class Program
{
    public static async Task<int> Main(string[] args)
    {
        Options options;
        try
        {
            options = Options.Parse(args);
        }
        catch (ArgumentException e)
        {
            await Console.Error.WriteLineAsync($"mock-upstream: {e.Message}");
            await Console.Error.WriteLineAsync(Options.Usage);
            return 2;
        }
        if (options.ShowHelp)
        {
            Console.WriteLine(Options.Usage);
            return 0;
        }

        HttpsConnectionAdapterOptions? https;
        try
        {
            https = options.Tls?.CreateHttpsOptions();
        }
        catch (Exception e) when (e is CryptographicException or IOException or ArgumentException)
        {
            await Console.Error.WriteLineAsync($"mock-upstream: cannot load the TLS files: {e.Message}");
            return 2;
        }

        var connections = new ConnectionCounter();
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [] });
        // The slim builder leaves HTTPS out unless asked for.
        builder.WebHost.UseKestrelHttpsConfiguration();
        // Tests read stdout for the ready line; framework logging would interleave with it.
        builder.Logging.ClearProviders();
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(2));
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.AddServerHeader = false;
            // 200 MB+ uploads must stream through /sink and /echo without hitting a limit,
            // and a deliberately slow client must not be cut off by the data-rate guard.
            k.Limits.MaxRequestBodySize = null;
            k.Limits.MinRequestBodyDataRate = null;
            k.Limits.MinResponseDataRate = null;
            k.Limits.KeepAliveTimeout = TimeSpan.FromSeconds(120);
            // /headers/large/N is symmetrical with request-side header-limit tests.
            k.Limits.MaxRequestHeadersTotalSize = 1024 * 1024;
            k.Limits.MaxRequestLineSize = 1024 * 1024;
            foreach (var ep in options.Listen)
            {
                k.Listen(ep, l =>
                {
                    l.Protocols = HttpProtocols.Http1;
                    // Counted before TLS, so a test sees how many connections a client opened
                    // (a proxy that pools its upstream connections opens few).
                    l.Use(connections.Count);
                    if (https is not null)
                    {
                        l.UseHttps(https);
                    }
                });
            }
        });

        var app = builder.Build();
        // Answers pings and handles the framing of /ws; no keep-alive pings of its own.
        app.UseWebSockets(new WebSocketOptions { KeepAliveInterval = TimeSpan.Zero });
        var handler = new Handler(options.Name, new Faults(options.Faults), connections);
        app.Run(handler.HandleAsync);

        try
        {
            await app.StartAsync();
        }
        catch (IOException e)
        {
            await Console.Error.WriteLineAsync($"mock-upstream: cannot listen: {e.Message}");
            return 1;
        }

        // Port 0 is allowed, so report the addresses Kestrel actually bound.
        var bound = new List<string>();
        var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>();
        foreach (var url in addresses?.Addresses ?? [])
        {
            var scheme = url.IndexOf("://", StringComparison.Ordinal);
            bound.Add(scheme < 0 ? url : url[(scheme + 3)..]);
        }
        handler.SetBoundAddresses(bound);
        foreach (var addr in bound)
        {
            Console.WriteLine($"mock-upstream listening on {addr}");
        }
        Console.Out.Flush();

        await app.WaitForShutdownAsync();
        return 0;
    }
}

internal sealed class Options
{
    public const string Usage =
        "usage: mock-upstream [--listen HOST:PORT]... [--name NAME] [fault options]\n" +
        "  --listen ADDR       address to listen on, e.g. 127.0.0.1:9001 or [::1]:9001 (repeatable;\n" +
        "                      default 127.0.0.1:9001; host may be localhost, * or an IP)\n" +
        "  --name NAME         value of the x-upstream response header (default: the listen address)\n" +
        "  --tls-cert PEM      serve HTTPS with this certificate (chain) ...\n" +
        "  --tls-key PEM       ... and this private key (both needed for HTTPS)\n" +
        "  --tls-client-ca PEM require a client certificate issued by this CA; its subject is\n" +
        "                      echoed in the x-client-cert-subject response header\n" +
        "faults (also settable at runtime: POST /__mock/faults?fail_rate=0.5&health=fail ...):\n" +
        "  --fail-rate SHARE   share of requests answered with --fail-status (0.25 or 25%; default 0)\n" +
        "  --fail-status CODE  status of an injected failure (500-599; default 503)\n" +
        "  --latency MS        added to every request before it is answered (default 0)\n" +
        "  --jitter MS         plus a random 0..MS on top of --latency (default 0)\n" +
        "  --reset-rate SHARE  share of requests answered with a TCP reset (default 0)\n" +
        "  --reset-at WHEN     body: the reset follows a head and part of the body (default);\n" +
        "                      start: it comes before any byte of the response\n" +
        "  --health-fail       /healthz answers 503 from the start";

    public List<IPEndPoint> Listen { get; } = [];
    public string? Name { get; private set; }
    public bool ShowHelp { get; private set; }
    public FaultSettings Faults { get; private set; } = new();
    /// <summary>Null unless --tls-cert and --tls-key were given: plain HTTP.</summary>
    public TlsFiles? Tls { get; private set; }

    public static Options Parse(string[] args)
    {
        var o = new Options();
        string? tlsCert = null, tlsKey = null, clientCa = null;
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--listen" or "-l":
                    o.Listen.Add(ParseEndPoint(Value(args, ref i)));
                    break;
                case "--name" or "-n":
                    o.Name = Value(args, ref i);
                    break;
                case "--tls-cert":
                    tlsCert = Value(args, ref i);
                    break;
                case "--tls-key":
                    tlsKey = Value(args, ref i);
                    break;
                case "--tls-client-ca":
                    clientCa = Value(args, ref i);
                    break;
                case "--help" or "-h":
                    o.ShowHelp = true;
                    break;
                case "--health-fail":
                    o.Faults = o.Faults with { HealthFailing = true };
                    break;
                case "--fail-rate" or "--fail-status" or "--latency" or "--jitter" or "--reset-rate" or "--reset-at":
                    // The same keys as the runtime switch (/__mock/faults), spelled with underscores.
                    var key = args[i][2..].Replace('-', '_');
                    if (!FaultSettings.TryApply(o.Faults, key, Value(args, ref i), out var faults, out var error))
                    {
                        throw new ArgumentException(error);
                    }
                    o.Faults = faults;
                    break;
                default:
                    throw new ArgumentException($"unknown argument '{args[i]}'");
            }
        }
        if (o.Listen.Count == 0)
        {
            o.Listen.Add(new IPEndPoint(IPAddress.Loopback, 9001));
        }
        if ((tlsCert is null) != (tlsKey is null))
        {
            throw new ArgumentException("--tls-cert and --tls-key go together");
        }
        if (clientCa is not null && tlsCert is null)
        {
            throw new ArgumentException("--tls-client-ca needs --tls-cert and --tls-key");
        }
        if (tlsCert is not null)
        {
            o.Tls = new TlsFiles(tlsCert, tlsKey!, clientCa);
        }
        return o;
    }

    private static string Value(string[] args, ref int i)
    {
        if (i + 1 >= args.Length)
        {
            throw new ArgumentException($"{args[i]} needs a value");
        }
        return args[++i];
    }

    public static IPEndPoint ParseEndPoint(string s)
    {
        string host;
        string port;
        if (s.StartsWith('['))
        {
            var close = s.IndexOf(']', StringComparison.Ordinal);
            if (close < 0 || close + 1 >= s.Length || s[close + 1] != ':')
            {
                throw new ArgumentException($"bad listen address '{s}' (expected [v6addr]:port)");
            }
            host = s[1..close];
            port = s[(close + 2)..];
        }
        else
        {
            var colon = s.LastIndexOf(':');
            if (colon <= 0 || s.IndexOf(':', StringComparison.Ordinal) != colon)
            {
                throw new ArgumentException($"bad listen address '{s}' (expected host:port; bracket IPv6 hosts)");
            }
            host = s[..colon];
            port = s[(colon + 1)..];
        }
        if (!int.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out var p) || p > 65535)
        {
            throw new ArgumentException($"bad port in listen address '{s}'");
        }
        IPAddress ip;
        if (host is "*" or "0.0.0.0")
        {
            ip = IPAddress.Any;
        }
        else if (host == "localhost")
        {
            ip = IPAddress.Loopback;
        }
        else if (!IPAddress.TryParse(host, out ip!))
        {
            throw new ArgumentException($"bad host in listen address '{s}' (use an IP, localhost or *)");
        }
        return new IPEndPoint(ip, p);
    }
}

internal sealed class Handler
{
    private const int ChunkSize = 64 * 1024;
    private const int EchoBufferLimit = 1024 * 1024;
    private const string TextPlain = "text/plain";
    private const string Json = "application/json";

    private static readonly byte[] HelloWorld = "Hello World!"u8.ToArray();
    private static readonly byte[] NotFound = "not found"u8.ToArray();
    private static readonly byte[] Bye = "bye"u8.ToArray();
    private static readonly byte[] Ok = "ok"u8.ToArray();

    // Byte i of every generated body is 'a' + i % 26, whatever the write size, so a
    // client can check any range of a body it received. The extra 26 bytes let a write
    // start at any phase of the alphabet without copying.
    private static readonly byte[] Pattern = CreatePattern(ChunkSize + 26);

    private static readonly StringValues ConnectionClose = new("close");

    // Tests compare echoed values with what they sent; the default encoder would turn
    // '&', '<', '+' and non-ASCII into \uXXXX escapes.
    private static readonly JsonWriterOptions EchoJsonOptions = new()
    {
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    private static readonly byte[] Healthy = "healthy"u8.ToArray();
    private static readonly byte[] Unhealthy = "unhealthy"u8.ToArray();

    private readonly StringValues _fixedName;
    private readonly Faults _faults;
    private readonly ConnectionCounter _connections;
    private readonly StreamEndpoints _streams = new();
    private readonly Ai.AiEndpoints _ai = new();
    private volatile FrozenDictionary<int, StringValues> _nameByPort = FrozenDictionary<int, StringValues>.Empty;

    public Handler(string? name, Faults faults, ConnectionCounter connections)
    {
        _fixedName = name is null ? StringValues.Empty : new StringValues(name);
        _faults = faults;
        _connections = connections;
    }

    /// <summary>
    /// Without --name each listener answers with its own address, so a test that spreads
    /// a cluster over several listeners of one process can tell which endpoint answered.
    /// </summary>
    public void SetBoundAddresses(List<string> bound)
    {
        var byPort = new Dictionary<int, StringValues>();
        var duplicate = new HashSet<int>();
        foreach (var addr in bound)
        {
            var colon = addr.LastIndexOf(':');
            if (colon > 0 && int.TryParse(addr.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var port)
                && !byPort.TryAdd(port, new StringValues(addr)))
            {
                duplicate.Add(port);
            }
        }
        // One port bound on two addresses cannot be told apart by port; those fall back
        // to formatting the connection's local endpoint.
        foreach (var port in duplicate)
        {
            byPort.Remove(port);
        }
        _nameByPort = byPort.ToFrozenDictionary();
    }

    public Task HandleAsync(HttpContext ctx)
    {
        var response = ctx.Response;
        response.Headers["x-upstream"] = UpstreamName(ctx);
        if (ctx.Connection.ClientCertificate is { } clientCertificate)
        {
            response.Headers["x-client-cert-subject"] = clientCertificate.Subject;
        }

        var path = ctx.Request.Path.Value ?? "/";
        // The control paths and the health path are outside the fault injection and the
        // request count, so a test can read and flip the state of a failing upstream.
        if (path.StartsWith("/__mock/", StringComparison.Ordinal))
        {
            return ControlAsync(ctx, path);
        }
        if (path == "/healthz")
        {
            _faults.CountHealthCheck();
            var failing = _faults.Settings.HealthFailing;
            return WriteFixedAsync(ctx, failing ? 503 : 200, failing ? Unhealthy : Healthy, TextPlain);
        }

        // The mock model providers have their own failures (in the model name) and counters.
        if (Ai.AiEndpoints.Owns(path))
        {
            return _ai.HandleAsync(ctx, path);
        }

        _faults.CountRequest();
        var settings = _faults.Settings;
        if (settings.Active || path == "/reset")
        {
            return FaultedAsync(ctx, path, settings);
        }
        return DispatchAsync(ctx, path);
    }

    private Task DispatchAsync(HttpContext ctx, string path)
    {
        var response = ctx.Response;
        if (path == "/")
        {
            return WriteFixedAsync(ctx, 200, HelloWorld, TextPlain);
        }

        var slash = path.IndexOf('/', 1);
        var head = slash < 0 ? path : path[..slash];
        var rest = slash < 0 ? null : path[(slash + 1)..];
        switch (head)
        {
            case "/bytes" when TryParseLong(rest, out var n):
                return SendBytesAsync(ctx, n, chunked: ctx.Request.Query["chunked"] is var c && (c == "1" || c == "true"));
            case "/chunked" when TryParseLong(rest, out var n):
                return SendBytesAsync(ctx, n, chunked: true);
            case "/echo" when rest is null:
                return EchoAsync(ctx);
            case "/status" when TryParseLong(rest, out var code) && code is >= 100 and <= 999:
                return StatusAsync(ctx, (int)code);
            case "/delay" when TryParseLong(rest, out var ms) && ms <= int.MaxValue:
                return DelayAsync(ctx, (int)ms);
            case "/sink" when rest is null:
                return SinkAsync(ctx);
            case "/close" when rest is null:
                response.Headers.Connection = ConnectionClose;
                return WriteFixedAsync(ctx, 200, Bye, TextPlain);
            case "/early" when TryParseLong(rest, out var code) && code is >= 200 and <= 599:
                return EarlyAsync(ctx, (int)code);
            case "/duplex" when rest is null:
                return DuplexAsync(ctx);
            case "/ws" when rest is null:
                return _streams.WebSocketEchoAsync(ctx);
            case "/sse" when rest is null:
                return _streams.ServerSentEventsAsync(ctx);
            case "/headers" when rest is not null && rest.StartsWith("large/", StringComparison.Ordinal)
                                 && TryParseLong(rest["large/".Length..], out var size) && size <= 64 * 1024 * 1024:
                response.Headers["x-large"] = PatternString((int)size);
                return WriteFixedAsync(ctx, 200, Ok, TextPlain);
            default:
                return WriteFixedAsync(ctx, 404, NotFound, TextPlain);
        }
    }

    /// <summary>
    /// Added latency first (an upstream slow to answer anything), then a reset or an injected
    /// status, each for its share of requests; what is left is served as usual.
    /// </summary>
    private async Task FaultedAsync(HttpContext ctx, string path, FaultSettings settings)
    {
        var delay = settings.LatencyMs + (settings.JitterMs > 0 ? Random.Shared.Next(settings.JitterMs + 1) : 0);
        if (delay > 0)
        {
            try
            {
                await Task.Delay(delay, ctx.RequestAborted);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
        if (path == "/reset" || _faults.TakeReset(settings))
        {
            await ResetAsync(ctx, settings.ResetBeforeResponse);
            return;
        }
        if (_faults.TakeFailure(settings))
        {
            var body = Encoding.ASCII.GetBytes("injected " + settings.FailStatus.ToString(CultureInfo.InvariantCulture));
            await WriteFixedAsync(ctx, settings.FailStatus, body, TextPlain);
            return;
        }
        await DispatchAsync(ctx, path);
    }

    /// <summary>
    /// A response cut off by a crashing upstream: the head (Content-Length 1024) and the first
    /// 100 body bytes, then an RST (SO_LINGER 0); or the RST alone, before any byte of a response
    /// (the case a proxy may retry). Written on the socket itself, not through Kestrel, whose
    /// output loop would send the bytes later than the reset and close with a FIN.
    /// </summary>
    private async Task ResetAsync(HttpContext ctx, bool beforeResponse)
    {
        var socket = ctx.Features.Get<IConnectionSocketFeature>()?.Socket;
        if (socket is null)
        {
            ctx.Abort();
            return;
        }
        if (beforeResponse)
        {
            Reset(ctx, socket);
            return;
        }
        var head = Encoding.ASCII.GetBytes(
            "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: 1024\r\n" +
            $"x-upstream: {UpstreamName(ctx)}\r\n\r\n");
        try
        {
            await socket.SendAsync(head, SocketFlags.None);
            await socket.SendAsync(Pattern.AsMemory(0, 100), SocketFlags.None);
        }
        catch (SocketException)
        {
            // The client went first; the reset below is all that is left to do.
        }
        catch (ObjectDisposedException)
        {
            return;
        }
        Reset(ctx, socket);
    }

    private void Reset(HttpContext ctx, Socket socket)
    {
        _faults.CountReset();
        socket.LingerState = new LingerOption(true, 0);
        socket.Close(0);
        ctx.Abort();
    }

    /// <summary>
    /// <c>GET /__mock/stats</c> reads the counters and the fault settings; <c>POST
    /// /__mock/faults?key=value&amp;...</c> changes the settings named and answers the same.
    /// </summary>
    private Task ControlAsync(HttpContext ctx, string path)
    {
        var request = ctx.Request;
        switch (path)
        {
            case "/__mock/stats" when HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method):
                return WriteStatsAsync(ctx);
            case "/__mock/faults" when HttpMethods.IsPost(request.Method):
                var settings = _faults.Settings;
                foreach (var (key, value) in request.Query)
                {
                    if (!FaultSettings.TryApply(settings, key, value.ToString(), out settings, out var error))
                    {
                        return WriteFixedAsync(ctx, 400, Encoding.UTF8.GetBytes(error), TextPlain);
                    }
                }
                _faults.Settings = settings;
                return WriteStatsAsync(ctx);
            case "/__mock/stats" or "/__mock/faults":
                return WriteFixedAsync(ctx, 405, "method not allowed"u8.ToArray(), TextPlain);
            default:
                return WriteFixedAsync(ctx, 404, NotFound, TextPlain);
        }
    }

    private Task WriteStatsAsync(HttpContext ctx)
    {
        var output = new ArrayBufferWriter<byte>(512);
        using (var json = new Utf8JsonWriter(output))
        {
            var settings = _faults.Settings;
            json.WriteStartObject();
            json.WriteString("name", UpstreamName(ctx).ToString());
            json.WriteNumber("requests", _faults.Requests);
            json.WriteNumber("failures", _faults.Failures);
            json.WriteNumber("resets", _faults.Resets);
            json.WriteNumber("health_checks", _faults.HealthChecks);
            json.WriteNumber("connections", _connections.Accepted);
            json.WriteNumber("ws_sessions", _streams.WebSocketSessions);
            json.WriteNumber("ws_messages", _streams.WebSocketMessages);
            json.WriteNumber("ws_open", _streams.WebSocketsOpen);
            json.WriteNumber("sse_streams", _streams.SseStreams);
            json.WriteNumber("sse_events", _streams.SseEvents);
            json.WriteNumber("sse_open", _streams.SseOpen);
            json.WriteNumber("fail_rate", settings.FailRate);
            json.WriteNumber("fail_status", settings.FailStatus);
            json.WriteNumber("latency_ms", settings.LatencyMs);
            json.WriteNumber("jitter_ms", settings.JitterMs);
            json.WriteNumber("reset_rate", settings.ResetRate);
            json.WriteString("reset_at", settings.ResetBeforeResponse ? "start" : "body");
            json.WriteString("health", settings.HealthFailing ? "fail" : "ok");
            json.WriteEndObject();
        }
        return WriteFixedAsync(ctx, 200, output.WrittenSpan.ToArray(), Json);
    }

    private StringValues UpstreamName(HttpContext ctx)
    {
        if (!StringValues.IsNullOrEmpty(_fixedName))
        {
            return _fixedName;
        }
        var conn = ctx.Connection;
        if (_nameByPort.TryGetValue(conn.LocalPort, out var name))
        {
            return name;
        }
        var ip = conn.LocalIpAddress;
        return ip is null ? new StringValues("unknown") : new StringValues(new IPEndPoint(ip, conn.LocalPort).ToString());
    }

    private static bool TryParseLong(string? s, out long value)
    {
        value = 0;
        return s is not null && long.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out value);
    }

    private static bool IsHead(HttpContext ctx) => HttpMethods.IsHead(ctx.Request.Method);

    private static Task WriteFixedAsync(HttpContext ctx, int status, byte[] body, string contentType)
    {
        var response = ctx.Response;
        response.StatusCode = status;
        response.ContentType = contentType;
        response.ContentLength = body.Length;
        if (IsHead(ctx))
        {
            return Task.CompletedTask;
        }
        return response.Body.WriteAsync(body, ctx.RequestAborted).AsTask();
    }

    private static async Task SendBytesAsync(HttpContext ctx, long n, bool chunked)
    {
        var response = ctx.Response;
        response.StatusCode = 200;
        response.ContentType = "application/octet-stream";
        // Without Content-Length, Kestrel frames an HTTP/1.1 body with chunked encoding.
        if (!chunked)
        {
            response.ContentLength = n;
        }
        if (IsHead(ctx))
        {
            return;
        }
        await response.StartAsync(ctx.RequestAborted);
        // Each flushed write becomes its own chunk; for short bodies split into a few
        // pieces so "chunked" always means more than one data chunk on the wire.
        var step = chunked ? (int)Math.Clamp((n + 3) / 4, 1, ChunkSize) : ChunkSize;
        var writer = response.BodyWriter;
        long sent = 0;
        try
        {
            while (sent < n)
            {
                var len = (int)Math.Min(step, n - sent);
                var phase = (int)(sent % 26);
                var result = await writer.WriteAsync(Pattern.AsMemory(phase, len), ctx.RequestAborted);
                if (result.IsCanceled || result.IsCompleted)
                {
                    return;
                }
                sent += len;
            }
        }
        catch (OperationCanceledException) when (ctx.RequestAborted.IsCancellationRequested)
        {
            // The client went away mid-body; nothing left to answer.
        }
    }

    private static async Task EchoAsync(HttpContext ctx)
    {
        var request = ctx.Request;
        var body = await ReadBodyAsync(request.BodyReader, EchoBufferLimit, ctx.RequestAborted);

        var output = new ArrayBufferWriter<byte>(1024 + (body.Kept?.Length ?? 0) * 2);
        using (var json = new Utf8JsonWriter(output, EchoJsonOptions))
        {
            json.WriteStartObject();
            json.WriteString("method", request.Method);
            json.WriteString("path", request.PathBase.Add(request.Path).Value ?? "/");
            var query = request.QueryString.Value;
            json.WriteString("query", string.IsNullOrEmpty(query) ? "" : query[1..]);
            json.WriteStartObject("headers");
            foreach (var (name, values) in request.Headers)
            {
                var key = name.ToLowerInvariant();
                if (values.Count == 1)
                {
                    json.WriteString(key, values[0]);
                }
                else
                {
                    json.WriteStartArray(key);
                    foreach (var v in values)
                    {
                        json.WriteStringValue(v);
                    }
                    json.WriteEndArray();
                }
            }
            json.WriteEndObject();
            if (body.Kept is not null)
            {
                // Invalid UTF-8 becomes U+FFFD; body_sha256 still identifies the exact bytes.
                json.WriteString("body", Encoding.UTF8.GetString(body.Kept));
            }
            json.WriteNumber("body_length", body.Length);
            json.WriteString("body_sha256", body.Sha256Hex);
            json.WriteEndObject();
        }

        var response = ctx.Response;
        response.StatusCode = 200;
        response.ContentType = Json;
        response.ContentLength = output.WrittenCount;
        if (!IsHead(ctx))
        {
            await response.Body.WriteAsync(output.WrittenMemory, ctx.RequestAborted);
        }
    }

    private static async Task SinkAsync(HttpContext ctx)
    {
        var body = await ReadBodyAsync(ctx.Request.BodyReader, keepLimit: 0, ctx.RequestAborted);
        var text = $"{{\"body_length\":{body.Length.ToString(CultureInfo.InvariantCulture)},\"body_sha256\":\"{body.Sha256Hex}\"}}";
        await WriteFixedAsync(ctx, 200, Encoding.UTF8.GetBytes(text), Json);
    }

    private static Task StatusAsync(HttpContext ctx, int code)
    {
        var response = ctx.Response;
        response.StatusCode = code;
        // These statuses must not carry a body (Kestrel rejects writes for 204/205/304).
        if (code < 200 || code is 204 or 205 or 304)
        {
            return Task.CompletedTask;
        }
        var body = Encoding.ASCII.GetBytes("status " + code.ToString(CultureInfo.InvariantCulture));
        return WriteFixedAsync(ctx, code, body, TextPlain);
    }

    /// <summary>
    /// Answers before reading any of the request body, as an upstream refusing an upload does,
    /// then holds the connection without reading (up to 10 s) and closes it.
    /// </summary>
    private static async Task EarlyAsync(HttpContext ctx, int code)
    {
        ctx.Response.Headers.Connection = ConnectionClose;
        var body = Encoding.ASCII.GetBytes("early " + code.ToString(CultureInfo.InvariantCulture));
        try
        {
            await WriteFixedAsync(ctx, code, body, TextPlain);
            await Task.Delay(10_000, ctx.RequestAborted);
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException)
        {
            // The client went away: the connection is done either way.
        }
    }

    /// <summary>Streams each piece of the request body back as soon as it arrives (full duplex).</summary>
    private static async Task DuplexAsync(HttpContext ctx)
    {
        var response = ctx.Response;
        response.StatusCode = 200;
        response.ContentType = "application/octet-stream";
        var reader = ctx.Request.BodyReader;
        try
        {
            await response.StartAsync(ctx.RequestAborted);
            while (true)
            {
                var result = await reader.ReadAsync(ctx.RequestAborted);
                foreach (var segment in result.Buffer)
                {
                    await response.BodyWriter.WriteAsync(segment, ctx.RequestAborted);
                }
                reader.AdvanceTo(result.Buffer.End);
                if (result.IsCompleted)
                {
                    return;
                }
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException)
        {
            // The client went away mid-stream.
        }
    }

    private static async Task DelayAsync(HttpContext ctx, int ms)
    {
        try
        {
            await Task.Delay(ms, ctx.RequestAborted);
        }
        catch (OperationCanceledException)
        {
            // The client gave up; the timer is released and no response is attempted.
            return;
        }
        var body = Encoding.ASCII.GetBytes("delayed " + ms.ToString(CultureInfo.InvariantCulture));
        await WriteFixedAsync(ctx, 200, body, TextPlain);
    }

    private readonly record struct Body(long Length, string Sha256Hex, byte[]? Kept);

    /// <summary>
    /// Reads the request body to its end, hashing as it goes; keeps a copy only while it
    /// stays within <paramref name="keepLimit"/> bytes so large uploads use constant memory.
    /// </summary>
    private static async Task<Body> ReadBodyAsync(PipeReader reader, int keepLimit, CancellationToken ct)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        long length = 0;
        byte[]? kept = keepLimit > 0 ? ArrayPool<byte>.Shared.Rent(Math.Min(keepLimit, 64 * 1024)) : null;
        var keptLength = 0;
        try
        {
            while (true)
            {
                var result = await reader.ReadAsync(ct);
                var buffer = result.Buffer;
                foreach (var segment in buffer)
                {
                    hash.AppendData(segment.Span);
                    if (kept is not null)
                    {
                        if (keptLength + segment.Length > keepLimit)
                        {
                            ArrayPool<byte>.Shared.Return(kept);
                            kept = null;
                        }
                        else
                        {
                            if (keptLength + segment.Length > kept.Length)
                            {
                                var bigger = ArrayPool<byte>.Shared.Rent(Math.Min(keepLimit, Math.Max(kept.Length * 2, keptLength + segment.Length)));
                                kept.AsSpan(0, keptLength).CopyTo(bigger);
                                ArrayPool<byte>.Shared.Return(kept);
                                kept = bigger;
                            }
                            segment.Span.CopyTo(kept.AsSpan(keptLength));
                            keptLength += segment.Length;
                        }
                    }
                }
                length += buffer.Length;
                reader.AdvanceTo(buffer.End);
                if (result.IsCompleted || result.IsCanceled)
                {
                    break;
                }
            }
            var digest = hash.GetHashAndReset();
            return new Body(length, Convert.ToHexStringLower(digest), kept?.AsSpan(0, keptLength).ToArray());
        }
        finally
        {
            if (kept is not null)
            {
                ArrayPool<byte>.Shared.Return(kept);
            }
        }
    }

    private static byte[] CreatePattern(int length)
    {
        var bytes = new byte[length];
        for (var i = 0; i < bytes.Length; i++)
        {
            bytes[i] = (byte)('a' + i % 26);
        }
        return bytes;
    }

    private static string PatternString(int length)
    {
        return string.Create(length, 0, static (span, _) =>
        {
            for (var i = 0; i < span.Length; i++)
            {
                span[i] = (char)('a' + i % 26);
            }
        });
    }
}

/// <summary>
/// The failure modes in force: an immutable snapshot, replaced whole by the control path so a
/// request never sees half of a change.
/// </summary>
internal sealed record FaultSettings
{
    public double FailRate { get; init; }
    public int FailStatus { get; init; } = 503;
    public int LatencyMs { get; init; }
    public int JitterMs { get; init; }
    public double ResetRate { get; init; }
    public bool ResetBeforeResponse { get; init; }
    public bool HealthFailing { get; init; }

    /// <summary>Whether a request has to go through the fault path at all.</summary>
    public bool Active => FailRate > 0 || LatencyMs > 0 || JitterMs > 0 || ResetRate > 0;

    /// <summary>One setting by its control-path name (the command-line option without "--", '-' as '_').</summary>
    public static bool TryApply(FaultSettings settings, string key, string value, out FaultSettings result, out string error)
    {
        result = settings;
        error = "";
        switch (key)
        {
            case "fail_rate" when TryParseShare(value, out var share):
                result = settings with { FailRate = share };
                return true;
            case "reset_rate" when TryParseShare(value, out var share):
                result = settings with { ResetRate = share };
                return true;
            case "fail_status" when int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var status) && status is >= 500 and <= 599:
                result = settings with { FailStatus = status };
                return true;
            case "latency" when int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var ms) && ms <= 600_000:
                result = settings with { LatencyMs = ms };
                return true;
            case "jitter" when int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var ms) && ms <= 600_000:
                result = settings with { JitterMs = ms };
                return true;
            case "reset_at" when value is "start" or "body":
                result = settings with { ResetBeforeResponse = value == "start" };
                return true;
            case "health" when value is "ok" or "fail":
                result = settings with { HealthFailing = value == "fail" };
                return true;
            case "fail_rate" or "reset_rate":
                error = $"bad {key} '{value}' (a share: 0 to 1, or 0% to 100%)";
                return false;
            case "fail_status":
                error = $"bad fail_status '{value}' (500 to 599)";
                return false;
            case "latency" or "jitter":
                error = $"bad {key} '{value}' (milliseconds, 0 to 600000)";
                return false;
            case "reset_at":
                error = $"bad reset_at '{value}' (start or body)";
                return false;
            case "health":
                error = $"bad health '{value}' (ok or fail)";
                return false;
            default:
                error = $"unknown fault '{key}' (fail_rate, fail_status, latency, jitter, reset_rate, reset_at, health)";
                return false;
        }
    }

    private static bool TryParseShare(string text, out double share)
    {
        var percent = text.EndsWith('%');
        var ok = double.TryParse(percent ? text[..^1] : text, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out share);
        if (percent)
        {
            share /= 100;
        }
        return ok && share is >= 0 and <= 1;
    }
}

/// <summary>
/// The fault settings and the counters a test reads back through /__mock/stats. Shares are
/// taken by counting, not by chance: with a share of 0.25 exactly every fourth request fails,
/// so a test that injects failures still knows how many it will see.
/// </summary>
internal sealed class Faults(FaultSettings initial)
{
    private FaultSettings _settings = initial;
    private long _requests;
    private long _failures;
    private long _resets;
    private long _healthChecks;
    private long _failSequence;
    private long _resetSequence;

    public FaultSettings Settings
    {
        get => Volatile.Read(ref _settings);
        set => Volatile.Write(ref _settings, value);
    }

    /// <summary>Requests on any path but /healthz and /__mock/*, counted on arrival (before any fault).</summary>
    public long Requests => Interlocked.Read(ref _requests);
    public long Failures => Interlocked.Read(ref _failures);
    public long Resets => Interlocked.Read(ref _resets);
    public long HealthChecks => Interlocked.Read(ref _healthChecks);

    public void CountRequest() => Interlocked.Increment(ref _requests);
    public void CountHealthCheck() => Interlocked.Increment(ref _healthChecks);
    public void CountReset() => Interlocked.Increment(ref _resets);

    public bool TakeReset(FaultSettings settings) => Take(ref _resetSequence, settings.ResetRate);

    public bool TakeFailure(FaultSettings settings)
    {
        if (!Take(ref _failSequence, settings.FailRate))
        {
            return false;
        }
        Interlocked.Increment(ref _failures);
        return true;
    }

    // Request n is taken when floor(n × share) steps up: exactly `share` of every run of requests.
    private static bool Take(ref long sequence, double share)
    {
        if (share <= 0)
        {
            return false;
        }
        if (share >= 1)
        {
            return true;
        }
        var n = Interlocked.Increment(ref sequence);
        return Math.Floor(n * share) > Math.Floor((n - 1) * share);
    }
}

/// <summary>Connections accepted on every listener, read back through /__mock/stats.</summary>
internal sealed class ConnectionCounter
{
    private long _accepted;

    public long Accepted => Interlocked.Read(ref _accepted);

    public Microsoft.AspNetCore.Connections.ConnectionDelegate Count(Microsoft.AspNetCore.Connections.ConnectionDelegate next) => context =>
    {
        Interlocked.Increment(ref _accepted);
        return next(context);
    };
}

/// <summary>The PEM files behind --tls-cert, --tls-key and --tls-client-ca.</summary>
internal sealed record TlsFiles(string CertPath, string KeyPath, string? ClientCaPath)
{
    public HttpsConnectionAdapterOptions CreateHttpsOptions()
    {
        // A key loaded from PEM is ephemeral; the PKCS#12 round trip gives SslStream one it can use everywhere.
        using var pem = X509Certificate2.CreateFromPemFile(CertPath, KeyPath);
        var certificate = X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null);
        var options = new HttpsConnectionAdapterOptions
        {
            ServerCertificate = certificate,
            SslProtocols = System.Security.Authentication.SslProtocols.Tls12 | System.Security.Authentication.SslProtocols.Tls13,
            ClientCertificateMode = ClientCertificateMode.NoCertificate,
        };
        if (ClientCaPath is null)
        {
            return options;
        }
        var authorities = new X509Certificate2Collection();
        authorities.ImportFromPemFile(ClientCaPath);
        if (authorities.Count == 0)
        {
            throw new ArgumentException($"no certificate in {ClientCaPath}");
        }
        options.ClientCertificateMode = ClientCertificateMode.RequireCertificate;
        options.ClientCertificateValidation = (client, _, _) =>
        {
            using var chain = new X509Chain();
            chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            chain.ChainPolicy.CustomTrustStore.AddRange(authorities);
            chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
            return chain.Build(client);
        };
        return options;
    }
}
