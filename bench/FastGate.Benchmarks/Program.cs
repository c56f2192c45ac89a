using BenchmarkDotNet.Running;

// Runs any benchmark class in this assembly: dotnet run -c Release -- --filter '*Http1*'
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
