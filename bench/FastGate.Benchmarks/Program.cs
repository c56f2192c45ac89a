using BenchmarkDotNet.Running;
using FastGate.Benchmarks;

// Runs any benchmark class in this assembly: dotnet run -c Release -- --filter '*Http1*'
// "config-phases FILE" times each phase of loading a config file.
// "route-build" prints one Stopwatch-timed cold and warm RouteTable build instead.
if (args is ["route-build"])
{
    RouteTableBuildBenchmark.PrintColdBuild();
    return;
}

if (args is ["config-phases", var configPath])
{
    ConfigPhases.Print(configPath);
    return;
}

BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
