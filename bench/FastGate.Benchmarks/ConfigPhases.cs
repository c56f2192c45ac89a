using System.Diagnostics;
using FastGate.Proxy.Config;
using FastGate.Core.Transport;
using FastGate.Proxy.Hosting;
using FastGate.Proxy.Observability;
using FastGate.Proxy.Routing;
using FastGate.Proxy.Upstreams;
using Tomlyn.Parsing;

namespace FastGate.Benchmarks;

/// <summary>
/// Where loading a large config spends its time and memory, phase by phase, with a Stopwatch and
/// the GC's own counters: `dotnet run -c Release -- config-phases FILE`.
/// </summary>
internal static class ConfigPhases
{
    public static void Print(string path)
    {
        PrintRetained(path);
        var text = File.ReadAllText(path);
        for (int round = 0; round < 3; round++)
        {
            Console.WriteLine($"round {round + 1}: {path} ({text.Length / 1e6:F1} M chars)");
            Phase("Tomlyn SyntaxParser.Parse", () => SyntaxParser.Parse(text, path, true), out var document);
            Phase("TomlTreeBuilder.Build", () => TomlTreeBuilder.Build(document), out _);
            Phase("Redact", () => ConfigLoader.Redact(text, document), out _);
            document = null!;
            Phase("ConfigLoader.LoadFromText (all)", () => ConfigLoader.LoadFromText(text, path), out var result);
            if (!result.IsValid)
            {
                Console.WriteLine(string.Join("\n", result.Errors.Take(5)));
                return;
            }

            Phase("RouteTable.Build", () => RouteTable.Build(result.Model.Routes, ["web"]), out _);
            var registry = new EndpointRegistry(SocketConnector.Default);
            Phase("EndpointRegistry.Build", () => registry.Build(result.Model, out _), out var clusters);
            var metrics = new GatewayMetrics();
            Phase("GatewaySnapshot (1st, new metrics)", () => new GatewaySnapshot(result.Model, clusters, metrics, 1, new FastGate.Proxy.Stages.StageServices(new GatewayLog(TextWriter.Null), metrics)), out var snapshot);
            Phase("GatewaySnapshot (2nd)", () => new GatewaySnapshot(result.Model, clusters, metrics, 2, new FastGate.Proxy.Stages.StageServices(new GatewayLog(TextWriter.Null), metrics)), out _);
        }
    }

    /// <summary>What a serving daemon keeps: the live heap each step adds, no closures holding anything.</summary>
    public static void PrintRetained(string path)
    {
        long before = GC.GetTotalMemory(true);
        var text = File.ReadAllText(path);
        long afterText = GC.GetTotalMemory(true);
        var cold = Stopwatch.StartNew();
        TomlReader.TryRead(text, ConfigLoader.SecretKeys, out _, out _, out _);
        Console.WriteLine($"cold TomlReader.TryRead: {cold.Elapsed.TotalMilliseconds:F0} ms");
        cold.Restart();
        var result = ConfigLoader.LoadFromText(text, path);
        Console.WriteLine($"LoadFromText after it (read warm, bind cold): {cold.Elapsed.TotalMilliseconds:F0} ms");
        long afterModel = GC.GetTotalMemory(true);
        var clusters = new EndpointRegistry(SocketConnector.Default).Build(result.Model!, out _);
        var metrics = new GatewayMetrics();
        var snapshot = new GatewaySnapshot(result.Model!, clusters, metrics, 1, new FastGate.Proxy.Stages.StageServices(new GatewayLog(TextWriter.Null), metrics));
        long afterSnapshot = GC.GetTotalMemory(true);
        foreach (var (mode, compacting) in new[] { (GCCollectionMode.Forced, false), (GCCollectionMode.Forced, true), (GCCollectionMode.Aggressive, true) })
        {
            // A reload's moment: the serving snapshot live, a new model just built, the tree garbage.
            var second = ConfigLoader.LoadFromText(text, path);
            var gc = Stopwatch.StartNew();
            GC.Collect(GC.MaxGeneration, mode, blocking: true, compacting);
            Console.WriteLine($"full GC {mode}, compacting {compacting}: {gc.Elapsed.TotalMilliseconds:F0} ms pause");
            GC.KeepAlive(second);
        }

        Console.WriteLine($"retained: text {Mib(afterText - before)}, model {Mib(afterModel - afterText)}, clusters+metrics+snapshot {Mib(afterSnapshot - afterModel)} MiB");
        GC.KeepAlive(text);
        GC.KeepAlive(snapshot);
    }

    private static string Mib(long bytes) => (bytes / 1048576.0).ToString("F1");

    private static void Phase<T>(string name, Func<T> run, out T value)
    {
        GC.Collect();
        long allocated = GC.GetTotalAllocatedBytes(precise: true);
        var paused = GC.GetTotalPauseDuration();
        int collections = GC.CollectionCount(0);
        var sw = Stopwatch.StartNew();
        value = run();
        sw.Stop();
        long after = GC.GetTotalAllocatedBytes(precise: true);
        var pause = GC.GetTotalPauseDuration() - paused;
        collections = GC.CollectionCount(0) - collections;
        GC.Collect();
        Console.WriteLine($"  {name,-34} {sw.Elapsed.TotalMilliseconds,8:F0} ms  allocated {(after - allocated) / 1048576.0,8:F0} MiB  GC pauses {pause.TotalMilliseconds,5:F0} ms in {collections} GCs  live heap after {GC.GetTotalMemory(false) / 1048576.0,6:F0} MiB");
    }
}
