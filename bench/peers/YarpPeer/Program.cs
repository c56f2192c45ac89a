using System.Net;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Yarp.ReverseProxy.Configuration;

// YARP as a plain reverse proxy for the side-by-side benchmark: one catch-all route to one
// cluster with one destination, Kestrel on one HTTP/1.1 endpoint, no logging.
//
//   yarp-peer --listen 127.0.0.1:18085 --origin http://127.0.0.1:18080

string? listen = null;
string? origin = null;
for (var i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--listen" when i + 1 < args.Length: listen = args[++i]; break;
        case "--origin" when i + 1 < args.Length: origin = args[++i]; break;
        default:
            Console.Error.WriteLine($"yarp-peer: unknown argument '{args[i]}'");
            Console.Error.WriteLine("usage: yarp-peer --listen IP:PORT --origin http://HOST:PORT");
            return 2;
    }
}
if (listen is null || origin is null || !IPEndPoint.TryParse(listen, out var endpoint))
{
    Console.Error.WriteLine("usage: yarp-peer --listen IP:PORT --origin http://HOST:PORT");
    return 2;
}

var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [] });
builder.Logging.ClearProviders();
builder.WebHost.ConfigureKestrel(k =>
{
    k.AddServerHeader = false;
    // Same limits as the other peers: idle keep-alive connections stay open for the
    // idle-connection scenario, and no body size or data-rate limit gets in the way.
    k.Limits.KeepAliveTimeout = TimeSpan.FromSeconds(120);
    k.Limits.MaxConcurrentConnections = null;
    k.Limits.MaxRequestBodySize = null;
    k.Limits.MinRequestBodyDataRate = null;
    k.Limits.MinResponseDataRate = null;
    k.Listen(endpoint, l => l.Protocols = HttpProtocols.Http1);
});

var routes = new[]
{
    new RouteConfig
    {
        RouteId = "all",
        ClusterId = "origin",
        Match = new RouteMatch { Path = "{**catch-all}" },
    },
};
var clusters = new[]
{
    new ClusterConfig
    {
        ClusterId = "origin",
        Destinations = new Dictionary<string, DestinationConfig>
        {
            ["origin"] = new DestinationConfig { Address = origin },
        },
        // Upstream HTTP/1.1 keep-alive (YARP's default pool), no per-server connection cap.
        HttpRequest = new Yarp.ReverseProxy.Forwarder.ForwarderRequestConfig
        {
            Version = HttpVersion.Version11,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        },
    },
};
builder.Services.AddReverseProxy().LoadFromMemory(routes, clusters);

var app = builder.Build();
app.MapReverseProxy();
await app.StartAsync();
Console.WriteLine($"yarp-peer listening on {endpoint} -> {origin}");
await app.WaitForShutdownAsync();
return 0;
