using System.Diagnostics;
using BenchmarkDotNet.Attributes;
using FastGate.Proxy.Config;
using FastGate.Proxy.Routing;

namespace FastGate.Benchmarks;

/// <summary>
/// RouteTable.Match on a small and a huge table: the cost should be the same for both and
/// Allocated zero. Both tables have the same three regex routes, which a regex hit and a miss
/// walk through, so those rows compare like with like.
/// </summary>
[MemoryDiagnoser]
public class RouteTableBenchmark
{
    private RouteTable _table = null!;
    private byte[] _exactHost = [];
    private byte[] _wildcardHost = [];

    [Params(10, 100_000)]
    public int Routes { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _table = RouteTable.Build(RouteTableData.Create(Routes, out int hosts, out int wildcards), RouteTableData.Listeners);
        _exactHost = System.Text.Encoding.ASCII.GetBytes($"H{hosts / 2}.Example.com:8443");
        _wildcardHost = System.Text.Encoding.ASCII.GetBytes($"tenant.w{wildcards / 2}.example.net");
        // Measure what the row names claim: hits hit the intended route, the miss misses.
        Expect(ExactHostPrefix(), $"host{hosts / 2}");
        Expect(WildcardHost(), $"wild{wildcards / 2}");
        Expect(Regex(), "regex2");
        if (Miss() != -1)
        {
            throw new InvalidOperationException("Miss matched a route.");
        }
    }

    private void Expect(int id, string name)
    {
        if (id < 0 || _table.Routes[id].Name != name)
        {
            throw new InvalidOperationException($"Expected {name}, matched {(id < 0 ? "nothing" : _table.Routes[id].Name)}.");
        }
    }

    [Benchmark(Baseline = true)]
    public int ExactHostPrefix()
    {
        var headers = default(NoHeaders);
        return _table.Match(0, _exactHost, "/api/v1/users/42"u8, "GET"u8, ref headers);
    }

    [Benchmark]
    public int WildcardHost()
    {
        var headers = default(NoHeaders);
        return _table.Match(0, _wildcardHost, "/index.html"u8, "GET"u8, ref headers);
    }

    [Benchmark]
    public int Regex()
    {
        var headers = default(NoHeaders);
        return _table.Match(0, "www.unknown.test"u8, "/r2/report/v3"u8, "GET"u8, ref headers);
    }

    [Benchmark]
    public int Miss()
    {
        var headers = default(NoHeaders);
        return _table.Match(0, "www.unknown.test"u8, "/nothing/here"u8, "GET"u8, ref headers);
    }

    private readonly struct NoHeaders : IRequestHeaderLookup
    {
        public bool TryGetValue(ReadOnlySpan<byte> nameLower, out ReadOnlySpan<byte> value)
        {
            value = default;
            return false;
        }
    }
}

/// <summary>RouteTable.Build of 100,000 mixed routes (what a reload of a huge config pays).</summary>
[MemoryDiagnoser]
public class RouteTableBuildBenchmark
{
    private RouteModel[] _routes = [];

    [GlobalSetup]
    public void Setup() => _routes = RouteTableData.Create(100_000, out _, out _);

    [Benchmark]
    public RouteTable Build100k() => RouteTable.Build(_routes, RouteTableData.Listeners);

    /// <summary>One cold build timed with a Stopwatch: dotnet run -c Release -- route-build</summary>
    public static void PrintColdBuild()
    {
        RouteModel[] routes = RouteTableData.Create(100_000, out _, out _);
        var sw = Stopwatch.StartNew();
        RouteTable.Build(routes, RouteTableData.Listeners);
        Console.WriteLine($"cold build of {routes.Length} routes: {sw.Elapsed.TotalMilliseconds:F0} ms");
        sw.Restart();
        RouteTable.Build(routes, RouteTableData.Listeners);
        Console.WriteLine($"warm build of {routes.Length} routes: {sw.Elapsed.TotalMilliseconds:F0} ms");
    }
}

internal static class RouteTableData
{
    public static readonly string[] Listeners = ["web", "admin"];

    /// <summary>
    /// A mix: 40% exact hosts with a prefix, 20% wildcard hosts, 20% exact paths and 20% prefixes
    /// on any host, plus three regex routes.
    /// </summary>
    public static RouteModel[] Create(int count, out int hosts, out int wildcards)
    {
        const int Regexes = 3;
        int rest = count - Regexes;
        hosts = Math.Max(1, rest * 2 / 5);
        wildcards = Math.Max(1, rest / 5);
        int exact = Math.Max(1, rest / 5);
        int prefixes = rest - hosts - wildcards - exact;
        var routes = new List<RouteModel>(count);
        for (int i = 0; i < hosts; i++)
        {
            routes.Add(Route($"host{i}", [$"h{i}.example.com"], PathMatchKind.Prefix, "/api/", ["GET", "POST"]));
        }

        for (int i = 0; i < wildcards; i++)
        {
            routes.Add(Route($"wild{i}", [$"*.w{i}.example.net"], PathMatchKind.Any, ""));
        }

        for (int i = 0; i < exact; i++)
        {
            routes.Add(Route($"exact{i}", [], PathMatchKind.Exact, $"/items/{i}"));
        }

        for (int i = 0; i < prefixes; i++)
        {
            routes.Add(Route($"prefix{i}", [], PathMatchKind.Prefix, $"/svc/{i}/"));
        }

        for (int i = 0; i < Regexes; i++)
        {
            routes.Add(Route($"regex{i}", [], PathMatchKind.Regex, $"^/r{i}/[a-z]+/v[0-9]+$"));
        }

        for (int i = 0; i < routes.Count; i++)
        {
            routes[i] = routes[i] with { Order = i };
        }

        return [.. routes];
    }

    private static RouteModel Route(string name, string[] hosts, PathMatchKind kind, string path, string[]? methods = null) => new()
    {
        Name = name,
        Cluster = "backend",
        Hosts = hosts,
        PathKind = kind,
        Path = path,
        Methods = methods ?? [],
    };
}
