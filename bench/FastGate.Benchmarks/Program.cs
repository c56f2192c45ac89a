using BenchmarkDotNet.Running;
using FastGate.Benchmarks;

// Runs any benchmark class in this assembly: dotnet run -c Release -- --filter '*Http1*'
// "route-build" prints one Stopwatch-timed cold and warm RouteTable build instead.
if (args is ["route-build"])
{
    RouteTableBuildBenchmark.PrintColdBuild();
    return;
}

BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
