using FastGate.Functional.Tests.Infrastructure;

namespace FastGate.Functional.Tests;

public sealed class CommandLineTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("fastgate-check-").FullName;

    private static async Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(params string[] args)
    {
        using var process = ChildProcess.StartDll(TestPaths.FastGateDll, args);
        var exit = await process.WaitForExitAsync(TimeSpan.FromSeconds(30)) ?? throw new TimeoutException($"fastgate {string.Join(' ', args)} did not exit");
        return (exit, process.Stdout, process.Stderr);
    }

    [Fact]
    public async Task Check_ValidFile_ExitsZero()
    {
        var path = Path.Combine(_directory, "valid.toml");
        await File.WriteAllTextAsync(path, UpstreamsFixture.SimpleConfig("127.0.0.1:9001").Replace("{admin}", "127.0.0.1:9901").Replace("{listen}", "127.0.0.1:8080"));

        var (exit, stdout, stderr) = await RunAsync("check", "-c", path);

        Assert.True(exit == 0, stdout + stderr);
    }

    [Fact]
    public async Task Check_UnknownKeyAndMissingCluster_ExitsOneWithTwoPositionedErrors()
    {
        var path = Path.Combine(_directory, "broken.toml");
        await File.WriteAllLinesAsync(path,
        [
            "[[listener]]",                 // 1
            "name = \"web\"",               // 2
            "listen = \"127.0.0.1:8080\"",  // 3
            "timout = \"5s\"",              // 4: unknown key
            "",                             // 5
            "[[route]]",                    // 6
            "name = \"r\"",                 // 7
            "cluster = \"missing\"",        // 8: no such cluster
            "",                             // 9
            "[cluster.real]",               // 10
            "endpoints = [\"127.0.0.1:9001\"]",
        ]);

        var (exit, stdout, stderr) = await RunAsync("check", "-c", path);

        Assert.Equal(1, exit);
        var errors = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(errors.Length == 2, $"expected two errors, got:\n{stdout}{stderr}");
        Assert.StartsWith($"{path}:4:1: ", errors[0]);
        Assert.Contains("timout", errors[0]);
        Assert.Matches($@"^{System.Text.RegularExpressions.Regex.Escape(path)}:8:\d+: .*missing", errors[1]);
    }

    [Fact]
    public async Task Version_Always_PrintsVersion()
    {
        var (exit, stdout, _) = await RunAsync("version");

        Assert.Equal(0, exit);
        Assert.Matches(@"^fastgate \d+\.\d+\.\d+", stdout);
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);
}
