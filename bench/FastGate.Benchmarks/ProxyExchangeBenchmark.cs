using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using BenchmarkDotNet.Attributes;
using FastGate.Core.Transport;
using FastGate.Proxy.Config;
using FastGate.Proxy.Forwarding;
using FastGate.Proxy.Hosting;
using FastGate.Proxy.Observability;

namespace FastGate.Benchmarks;

/// <summary>
/// A whole proxied HTTP/1.1 exchange over in-memory pipes: the client's request is parsed,
/// routed, forwarded to a pooled upstream connection, answered by an in-process origin and the
/// response copied back, all on the benchmark's thread. Steady state must allocate nothing,
/// on a plain route and on one with an API-key stage and a rate limit that never triggers.
/// </summary>
[MemoryDiagnoser]
public class ProxyExchangeBenchmark
{
    private static readonly byte[] PlainRequest =
        "GET /api/items?page=2 HTTP/1.1\r\nHost: bench.example\r\nUser-Agent: bench/1.0\r\nAccept: */*\r\nAccept-Encoding: gzip\r\nConnection: keep-alive\r\n\r\n"u8.ToArray();

    private static readonly byte[] StagedRequest =
        "GET /auth/items?page=2 HTTP/1.1\r\nHost: bench.example\r\nUser-Agent: bench/1.0\r\nAccept: */*\r\nx-api-key: bench-key\r\nConnection: keep-alive\r\n\r\n"u8.ToArray();

    /// <summary>The config of the staged route: a consumer with a key, and a limit far above any rate the benchmark reaches.</summary>
    private const string StagedConfig = """
        [log]
        access = "off"
        [[listener]]
        name = "web"
        listen = "127.0.0.1:1"
        [consumer.bench]
        keys = ["bench-key"]
        [[route]]
        name = "auth"
        path_prefix = "/auth/"
        cluster = "origin"
        auth = ["api_key"]
        rate_limit = { requests = 1000000000, per = "1s", key = "consumer" }
        [cluster.origin]
        endpoints = ["127.0.0.1:80"]
        """;

    private static readonly byte[] OriginResponse =
        "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 12\r\n\r\nHello World!"u8.ToArray();

    private Gateway _gateway = null!;
    private byte[] _request = [];

    [Params("plain", "api-key+rate-limit")]
    public string Route { get; set; } = "plain";
    private InMemoryTransport _client = null!;
    private long _responseLength;

    [GlobalSetup]
    public void Setup()
    {
        var staged = Route != "plain";
        _request = staged ? StagedRequest : PlainRequest;
        var endpoint = new EndpointModel { Address = "origin:80", EndPoint = new DnsEndPoint("origin", 80), HostHeader = "origin" };
        var model = new ConfigModel
        {
            SourcePath = "bench.toml",
            Admin = new AdminModel(),
            Log = new LogModel { Access = null },
            Listeners = [new ListenerModel { Name = "web", Endpoint = new IPEndPoint(IPAddress.Loopback, 0), Limits = new LimitsModel() }],
            Routes = [new RouteModel { Name = "api", PathKind = PathMatchKind.Prefix, Path = "/api/", Cluster = "origin" }],
            Clusters = new Dictionary<string, ClusterModel> { ["origin"] = new ClusterModel { Name = "origin", Endpoints = [endpoint] } },
        };
        _gateway = new Gateway(new GatewayLog(TextWriter.Null), new InMemoryOrigin(OriginResponse));
        if (staged)
        {
            var load = ConfigLoader.LoadFromText(StagedConfig, Path.Combine(Path.GetTempPath(), "bench.toml"));
            // The listener binds a free port, as the plain model's does; nothing connects to it.
            model = (load.Model ?? throw new InvalidOperationException(string.Join("\n", load.Errors))) with { Listeners = model.Listeners };
        }
        _gateway.Start(model);
        var (client, server) = InMemoryTransport.CreatePair();
        _client = client;
        _ = new Http1ProxyConnection(server, "127.0.0.1"u8.ToArray(), _gateway, "web", null).Start();
        _responseLength = Exchange(measure: true);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _client.Dispose();
        _gateway.Dispose();
    }

    [Benchmark]
    public long ProxiedExchange() => Exchange(measure: false);

    private long Exchange(bool measure)
    {
        _client.Output.Write(_request);
        var flush = _client.Output.FlushAsync();
        if (!flush.IsCompleted)
        {
            throw new InvalidOperationException("the in-memory exchange went asynchronous");
        }
        if (!_client.Input.TryRead(out var result))
        {
            throw new InvalidOperationException("no response");
        }
        var length = result.Buffer.Length;
        if (measure && !result.Buffer.FirstSpan.StartsWith("HTTP/1.1 200 "u8))
        {
            throw new InvalidOperationException("the exchange was not answered 200: " + System.Text.Encoding.ASCII.GetString(result.Buffer.ToArray()));
        }
        if (!measure && length != _responseLength)
        {
            throw new InvalidOperationException($"response of {length} bytes, expected {_responseLength}");
        }
        _client.Input.AdvanceTo(result.Buffer.End);
        return length;
    }

    /// <summary>Connects to an origin that answers every request head with the same response, inline.</summary>
    private sealed class InMemoryOrigin(byte[] response) : IUpstreamConnector
    {
        public ValueTask<ITransport> ConnectAsync(EndPoint endPoint, TimeSpan timeout)
        {
            var (proxySide, originSide) = InMemoryTransport.CreatePair();
            _ = ServeAsync(originSide);
            return new ValueTask<ITransport>(proxySide);
        }

        private async Task ServeAsync(InMemoryTransport transport)
        {
            while (true)
            {
                var result = await transport.Input.ReadAsync();
                var buffer = result.Buffer;
                while (TryTakeHead(ref buffer))
                {
                    transport.Output.Write(response);
                }
                transport.Input.AdvanceTo(buffer.Start, buffer.End);
                if (result.IsCompleted)
                {
                    return;
                }
                await transport.Output.FlushAsync();
            }
        }

        private static bool TryTakeHead(ref ReadOnlySequence<byte> buffer)
        {
            var reader = new SequenceReader<byte>(buffer);
            if (!reader.TryReadTo(out ReadOnlySequence<byte> _, "\r\n\r\n"u8))
            {
                return false;
            }
            buffer = buffer.Slice(reader.Position);
            return true;
        }
    }
}
