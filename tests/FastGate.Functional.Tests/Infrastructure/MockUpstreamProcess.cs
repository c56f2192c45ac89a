using System.Text.RegularExpressions;

namespace FastGate.Functional.Tests.Infrastructure;

/// <summary>A running mock-upstream on a loopback port it chose itself (port 0, read back from its ready line).</summary>
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

    public static async Task<MockUpstreamProcess> StartAsync(string name)
    {
        var process = ChildProcess.StartDll(TestPaths.MockUpstreamDll, ["--listen", "127.0.0.1:0", "--name", name]);
        try
        {
            var line = await process.WaitForLineAsync(l => l.StartsWith("mock-upstream listening on ", StringComparison.Ordinal), TimeSpan.FromSeconds(30));
            var port = int.Parse(PortPattern().Match(line).Groups[1].Value);
            return new MockUpstreamProcess(process, name, port);
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
