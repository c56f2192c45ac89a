using System.Net;
using System.Net.Sockets;
using FastGate.Core.Transport;
using FastGate.Proxy.Config;
using FastGate.Proxy.Forwarding;
using FastGate.Proxy.Hosting;
using FastGate.Proxy.Observability;
using FastGate.Proxy.Stages;

namespace FastGate.Proxy.Tests.Forwarding;

/// <summary>
/// A real <see cref="Gateway"/> whose clients and upstreams are in-memory pipes: the whole
/// exchange path runs, deterministic and without sockets (the listener still binds a free
/// loopback port, unused).
/// </summary>
internal sealed class TestGateway : IDisposable
{
    private readonly Dictionary<string, InMemoryOrigin> _origins = new();
    private readonly string _path = Path.Combine(Path.GetTempPath(), $"fastgate-test-{Guid.NewGuid():N}.toml");

    public TestGateway(string config, params InMemoryOrigin[] origins)
        : this(config, null, origins)
    {
    }

    /// <param name="stages">Stages added in code to each route (see <see cref="StageServices.CustomStages"/>).</param>
    public TestGateway(string config, Func<RouteModel, IReadOnlyList<Stage>>? stages, params InMemoryOrigin[] origins)
        : this(config, stages, null, origins)
    {
    }

    private TestGateway(string config, Func<RouteModel, IReadOnlyList<Stage>>? stages, Func<ClusterModel, ClusterModel>? clusters, InMemoryOrigin[] origins)
    {
        foreach (var origin in origins)
        {
            _origins[origin.Name] = origin;
        }
        Gateway = new Gateway(new GatewayLog(TextWriter.Null), new Connector(_origins));
        Gateway.Stages.CustomStages = stages;
        var model = Load(config);
        if (clusters is not null)
        {
            model = model with { Clusters = model.Clusters.ToDictionary(c => c.Key, c => clusters(c.Value)) };
        }
        Gateway.Start(model);
    }

    /// <summary>
    /// A gateway whose cluster models are changed in code by <paramref name="clusters"/> before it
    /// starts: settings such as the retry policy or the circuit caps, set without the config file.
    /// </summary>
    public static TestGateway WithClusters(string config, Func<ClusterModel, ClusterModel> clusters, Func<RouteModel, IReadOnlyList<Stage>>? stages, params InMemoryOrigin[] origins) =>
        new(config, stages, clusters, origins);

    public Gateway Gateway { get; }

    /// <summary>
    /// A config with listener "web" and one route "rest" from <paramref name="pathPrefix"/> to
    /// cluster "a" at 127.0.0.1:9001; <paramref name="routeKeys"/> adds keys to the route,
    /// <paramref name="clusterKeys"/> replaces the cluster's.
    /// </summary>
    public static string OneRouteConfig(string pathPrefix = "/", string routeKeys = "", string clusterKeys = "endpoints = [\"127.0.0.1:9001\"]") => $"""
        [admin]
        listen = "127.0.0.1:{FreePort.Next()}"
        [log]
        access = "off"
        [[listener]]
        name = "web"
        listen = "127.0.0.1:{FreePort.Next()}"
        [[route]]
        name = "rest"
        path_prefix = "{pathPrefix}"
        {routeKeys}
        cluster = "a"
        [cluster.a]
        {clusterKeys}
        """;

    /// <summary>
    /// <see cref="OneRouteConfig"/> for every path to cluster "a" at <paramref name="endpoints"/>
    /// (round robin, from the first, so a test knows where each try goes).
    /// </summary>
    public static string ClusterConfig(params string[] endpoints) =>
        OneRouteConfig(clusterKeys: $"endpoints = [{string.Join(", ", endpoints.Select(e => $"\"{e}\""))}]\nlb = \"round_robin\"");

    public ConfigModel Load(string config)
    {
        File.WriteAllText(_path, config);
        var result = ConfigLoader.Load(_path);
        Assert.True(result.Errors.Count == 0, string.Join("\n", result.Errors));
        return result.Model!;
    }

    public ReloadResult Reload(string config)
    {
        File.WriteAllText(_path, config);
        return Gateway.Reload(ConfigLoader.Load(_path));
    }

    public InMemoryClient Connect(string listener = "web", string clientAddress = "127.0.0.1") => Connect(out _, listener, clientAddress);

    /// <summary>Connects a client and hands out its connection's worker, whose heartbeat a test fires itself.</summary>
    public InMemoryClient Connect(out Http1ProxyConnection connection, string listener = "web", string clientAddress = "127.0.0.1")
    {
        var (client, server) = InMemoryTransport.CreatePair();
        connection = new Http1ProxyConnection(server, System.Text.Encoding.ASCII.GetBytes(clientAddress), Gateway, listener, null);
        _ = connection.Start();
        return new InMemoryClient(client);
    }

    public void Dispose()
    {
        Gateway.Dispose();
        File.Delete(_path);
    }

    /// <summary>Routes each connect to the origin named by the endpoint's address.</summary>
    private sealed class Connector(Dictionary<string, InMemoryOrigin> origins) : IUpstreamConnector
    {
        public ValueTask<ITransport> ConnectAsync(EndPoint endPoint, TimeSpan timeout)
        {
            if (origins.TryGetValue(endPoint.ToString()!, out var origin))
            {
                return origin.ConnectAsync(endPoint, timeout);
            }
            throw new SocketException((int)SocketError.ConnectionRefused);
        }
    }
}
