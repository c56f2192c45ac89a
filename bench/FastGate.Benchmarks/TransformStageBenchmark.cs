using System.Net;
using System.Text;
using BenchmarkDotNet.Attributes;
using FastGate.Proxy.Config;
using FastGate.Proxy.Forwarding;
using FastGate.Proxy.Observability;
using FastGate.Proxy.Stages;
using FastGate.Proxy.Stages.Transforms;

namespace FastGate.Benchmarks;

/// <summary>
/// The route transform stages on one exchange, each as the request-head phase runs it, with the
/// edits cleared between calls as the front does between exchanges. Everything but the regex
/// rewrite must allocate nothing.
/// </summary>
[MemoryDiagnoser]
public class TransformStageBenchmark
{
    private static readonly byte[] Request = Encoding.ASCII.GetBytes(
        "GET /api/v1/items/42?page=2 HTTP/1.1\r\nHost: api.example.com\r\nUser-Agent: bench/1.0\r\nAccept: */*\r\n" +
        "Origin: https://app.example.com\r\nX-Request-Id: 4bf92f3577b34da6a3ce929d0e0e4736\r\nConnection: keep-alive\r\n\r\n");

    private Exchange _exchange = null!;
    private Exchange _exchangeIPv6 = null!;
    private Stage _headers = null!;
    private AddressRules _rules = null!;
    private Stage _addressStage = null!;
    private Stage _cors = null!;
    private Stage _requestId = null!;
    private Stage _prefixRewrite = null!;
    private Stage _regexRewrite = null!;

    [GlobalSetup]
    public void Setup()
    {
        _exchange = NewExchange("10.20.30.40");
        _exchangeIPv6 = NewExchange("2001:db8:1::7");
        var services = new StageServices(new GatewayLog(TextWriter.Null), new GatewayMetrics());
        _headers = HeaderTransformStage.ForRequest(new HeaderTransformModel
        {
            Set = [new("x-client", "${client_ip}"), new("x-forwarded-route", "${route} ${method} ${path}")],
            Remove = ["x-internal"],
        }, "api", services);
        var allow = new List<IPNetwork>();
        foreach (var text in new[] { "192.168.0.0/16", "172.16.0.0/12", "2001:db8::/32", "10.0.0.0/8" })
        {
            allow.Add(IPNetwork.Parse(text));
        }
        _rules = new AddressRules(allow, [IPNetwork.Parse("10.99.0.0/16")]);
        _addressStage = new AddressRulesStage(_rules);
        _cors = new CorsStage(new CorsModel { AllowOrigins = ["https://admin.example.com", "https://app.example.com"], AllowCredentials = true, ExposeHeaders = ["x-request-id"] });
        _requestId = new RequestIdStage();
        _prefixRewrite = new PathRewriteStage(new PathRewriteModel { Prefix = "/internal/", MatchedPrefix = "/api/" }, services);
        _regexRewrite = new PathRewriteStage(new PathRewriteModel { Regex = "^/api/v1/(.*)$", Replacement = "/v1/$1" }, services);
    }

    private static Exchange NewExchange(string client) => Exchange.ForRequest(Encoding.ASCII.GetString(Request), IPAddress.Parse(client));

    private StageOutcome Run(Stage stage)
    {
        _exchange.UpstreamRequestHeaders.Clear();
        _exchange.ResponseHeaders.Clear();
        return stage.OnRequestHeadAsync(_exchange).Result;
    }

    [Benchmark]
    public StageOutcome HeaderSetWithVariables() => Run(_headers);

    [Benchmark]
    public bool CidrCheckIPv4() => _rules.Permits(_exchange.ClientIpBytes);

    [Benchmark]
    public bool CidrCheckIPv6() => _rules.Permits(_exchangeIPv6.ClientIpBytes);

    [Benchmark]
    public StageOutcome AddressRulesStage() => Run(_addressStage);

    [Benchmark]
    public StageOutcome CorsActualRequest() => Run(_cors);

    [Benchmark]
    public StageOutcome RequestIdKept() => Run(_requestId);

    [Benchmark]
    public void RequestIdGenerated()
    {
        Span<byte> id = stackalloc byte[32];
        RequestIdStage.Generate(id);
        _exchange.SetRequestId(id);
    }

    [Benchmark]
    public StageOutcome PrefixRewrite() => Run(_prefixRewrite);

    /// <summary>Allocates by design: .NET's Regex substitutes only into strings.</summary>
    [Benchmark]
    public StageOutcome RegexRewrite() => Run(_regexRewrite);
}
