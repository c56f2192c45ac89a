using System.Net;
using System.Security.Cryptography.X509Certificates;
using FastGate.Tools.GrpcService;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;

// grpc-service: Kestrel speaking HTTP/2 only (h2c with prior knowledge, or h2 over TLS with
// --tls-cert/--tls-key), serving the gRPC TestService and a few plain routes under /h2/ for
// testing FastGate's HTTP/2 upstreams. Prints "grpc-service listening on ADDRESS:PORT" when ready.
string Arg(string name, string fallback)
{
    var i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
}

var listen = Arg("--listen", "127.0.0.1:0");
var tlsCert = Arg("--tls-cert", "");
var tlsKey = Arg("--tls-key", "");
var maxStreams = int.Parse(Arg("--max-streams", "100"));
var colon = listen.LastIndexOf(':');
var host = IPAddress.Parse(listen[..colon]);
var port = int.Parse(listen[(colon + 1)..]);
long connections = 0;

var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = [] });
builder.Logging.ClearProviders();
builder.Services.AddGrpc(o =>
{
    o.EnableDetailedErrors = true;
    o.MaxReceiveMessageSize = 16 * 1024 * 1024;
    o.MaxSendMessageSize = 16 * 1024 * 1024;
});
builder.WebHost.ConfigureKestrel(kestrel =>
{
    kestrel.Limits.Http2.MaxStreamsPerConnection = maxStreams;
    kestrel.Limits.MaxRequestBodySize = null;
    kestrel.Listen(host, port, options =>
    {
        options.Protocols = HttpProtocols.Http2;
        if (tlsCert.Length > 0)
        {
            var pem = X509Certificate2.CreateFromPemFile(tlsCert, tlsKey);
            options.UseHttps(X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null));
        }
        options.Use(next => context =>
        {
            Interlocked.Increment(ref connections);
            return next(context);
        });
    });
});

var app = builder.Build();
app.MapGrpcService<TestServiceImpl>();

// The body back, with what the server saw of the request.
app.MapPost("/h2/echo", async context =>
{
    context.Response.Headers["x-seen-protocol"] = context.Request.Protocol;
    context.Response.ContentType = context.Request.ContentType ?? "application/octet-stream";
    await context.Request.Body.CopyToAsync(context.Response.Body);
});

// n bytes of the pattern i mod 251, with or without a content-length.
app.MapGet("/h2/bytes/{n:long}", async (HttpContext context, long n) =>
{
    if (context.Request.Query.ContainsKey("length"))
    {
        context.Response.ContentLength = n;
    }
    var block = TestServiceImpl.Pattern(251 * 256);
    long sent = 0;
    while (sent < n)
    {
        var take = (int)Math.Min(block.Length, n - sent);
        await context.Response.Body.WriteAsync(block.AsMemory(0, take));
        sent += take;
    }
});

// The request as the server saw it: protocol, method, path, authority and headers.
app.MapMethods("/h2/info", ["GET", "HEAD", "DELETE", "PUT", "POST"], async context =>
{
    var lines = new List<string>
    {
        $"protocol={context.Request.Protocol}",
        $"method={context.Request.Method}",
        $"path={context.Request.Path}{context.Request.QueryString}",
        $"host={context.Request.Host}",
    };
    foreach (var header in context.Request.Headers)
    {
        lines.Add($"header {header.Key.ToLowerInvariant()}={header.Value}");
    }
    await context.Response.WriteAsync(string.Join("\n", lines) + "\n");
});

// The request body's length and its trailers, as the server saw them.
app.MapPost("/h2/request-trailers", async context =>
{
    var body = new MemoryStream();
    await context.Request.Body.CopyToAsync(body);
    var trailers = context.Request.CheckTrailersAvailable()
        ? string.Join(";", context.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpRequestTrailersFeature>()!.Trailers.Select(t => $"{t.Key}={t.Value}"))
        : "none";
    await context.Response.WriteAsync($"body={body.Length} trailers={trailers}");
});

app.MapGet("/h2/connections", context => context.Response.WriteAsync(Interlocked.Read(ref connections).ToString()));

app.MapGet("/h2/trailers", async context =>
{
    context.Response.DeclareTrailer("x-checksum");
    await context.Response.WriteAsync("body with trailers");
    context.Response.AppendTrailer("x-checksum", "abc123");
});

app.MapGet("/h2/slow/{ms:int}", async (HttpContext context, int ms) =>
{
    await Task.Delay(ms, context.RequestAborted);
    await context.Response.WriteAsync("slow");
});

// Asks Kestrel to end this connection gracefully: it sends GOAWAY and closes once its streams end.
app.MapGet("/h2/goaway", context =>
{
    context.Features.Get<IConnectionLifetimeNotificationFeature>()?.RequestClose();
    return context.Response.WriteAsync("goaway");
});

await app.StartAsync();
var address = app.Services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
var uri = new Uri(address);
Console.WriteLine($"grpc-service listening on {uri.Host}:{uri.Port}");
await app.WaitForShutdownAsync();
