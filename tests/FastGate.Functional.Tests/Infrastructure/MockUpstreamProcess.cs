using System.Text.RegularExpressions;

namespace FastGate.Functional.Tests.Infrastructure;

/// <summary>A running mock-upstream on a loopback port, by default one it chose itself (port 0, read back from its ready line).</summary>
public sealed partial class MockUpstreamProcess : IAsyncDisposable
{
    private readonly ChildProcess _process;

    private MockUpstreamProcess(ChildProcess process, string name, int port)
    {
        _process = process;
        Name = name;
        Port = port;
    }

    public string Name { get; }
    public int Port { get; }
    public string Address => $"127.0.0.1:{Port}";

    /// <summary>Starts a mock on <paramref name="port"/> (0: one it picks) with extra arguments such as <c>--latency 50</c>.</summary>
    public static async Task<MockUpstreamProcess> StartAsync(string name, int port = 0, params string[] arguments)
    {
        var process = ChildProcess.StartDll(TestPaths.MockUpstreamDll, ["--listen", $"127.0.0.1:{port}", "--name", name, .. arguments]);
        try
        {
            var line = await process.WaitForLineAsync(l => l.StartsWith("mock-upstream listening on ", StringComparison.Ordinal), TimeSpan.FromSeconds(30));
            return new MockUpstreamProcess(process, name, int.Parse(PortPattern().Match(line).Groups[1].Value));
        }
        catch
        {
            process.Dispose();
            throw;
        }
    }

    [GeneratedRegex(@":(\d+)\s*$")]
    private static partial Regex PortPattern();

    public ValueTask DisposeAsync()
    {
        _process.Dispose();
        return ValueTask.CompletedTask;
    }
}
