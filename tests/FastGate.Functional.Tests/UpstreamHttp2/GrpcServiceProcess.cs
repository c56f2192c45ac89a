using System.Text.RegularExpressions;
using FastGate.Functional.Tests.Infrastructure;

namespace FastGate.Functional.Tests.UpstreamHttp2;

/// <summary>A running grpc-service (Kestrel, HTTP/2 only: h2c, or h2 with a certificate) on a loopback port it chose.</summary>
public sealed partial class GrpcServiceProcess : IAsyncDisposable
{
    private readonly ChildProcess _process;

    private GrpcServiceProcess(ChildProcess process, int port)
    {
        _process = process;
        Port = port;
    }

    public int Port { get; }
    public string Address => $"127.0.0.1:{Port}";

    /// <summary>Starts the service; <paramref name="arguments"/> such as <c>--max-streams 10</c> or <c>--tls-cert C --tls-key K</c>.</summary>
    public static async Task<GrpcServiceProcess> StartAsync(params string[] arguments)
    {
        var process = ChildProcess.StartDll(TestPaths.GrpcServiceDll, ["--listen", "127.0.0.1:0", .. arguments]);
        try
        {
            var line = await process.WaitForLineAsync(l => l.StartsWith("grpc-service listening on ", StringComparison.Ordinal), TimeSpan.FromSeconds(60));
            return new GrpcServiceProcess(process, int.Parse(PortPattern().Match(line).Groups[1].Value));
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
