using System.Diagnostics;
using System.Text.Json;
using FastGate.Functional.Tests.Infrastructure;

namespace FastGate.Functional.Tests;

/// <summary>curl as the client: the tool operators reach for first.</summary>
[Collection(SharedGatewayCollection.Name)]
public sealed class CurlTests(SharedGatewayFixture fixture)
{
    private async Task<(int ExitCode, string Stdout)> CurlAsync(params string[] args)
    {
        var info = new ProcessStartInfo("curl") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add("--max-time");
        info.ArgumentList.Add("20");
        info.ArgumentList.Add("--noproxy");
        info.ArgumentList.Add("*");
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }
        using var process = Process.Start(info)!;
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try
        {
            var stdout = process.StandardOutput.ReadToEndAsync(cts.Token);
            var stderr = process.StandardError.ReadToEndAsync(cts.Token);
            await process.WaitForExitAsync(cts.Token);
            return (process.ExitCode, await stdout);
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill();
            }
        }
    }

    private string Url(string path) => $"http://127.0.0.1:{fixture.Gateway.Port}{path}";

    [Fact]
    public async Task Curl_Get_ReturnsHelloWorld()
    {
        var (exit, stdout) = await CurlAsync("-s", "-f", Url("/"));

        Assert.Equal(0, exit);
        Assert.Equal("Hello World!", stdout);
    }

    [Fact]
    public async Task Curl_PostLargeFile_UpstreamReceivesItWhole()
    {
        // Over 1 MiB so curl sends Expect: 100-continue and waits for the proxy's 100.
        var bytes = Clients.PatternBytes(3_000_000);
        var file = Path.Combine(fixture.Gateway.Directory, "upload.bin");
        await File.WriteAllBytesAsync(file, bytes);
        var clock = Stopwatch.StartNew();

        var (exit, stdout) = await CurlAsync("-s", "-f", "--data-binary", "@" + file, Url("/sink"));

        Assert.Equal(0, exit);
        var sink = JsonDocument.Parse(stdout).RootElement;
        Assert.Equal(bytes.Length, sink.GetProperty("body_length").GetInt64());
        Assert.Equal(Clients.Sha256Hex(bytes), sink.GetProperty("body_sha256").GetString());
        // curl falls back to sending after 1 s without a 100; the proxy should answer first.
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(1), $"upload took {clock.Elapsed}: 100 Continue not sent?");
    }

    [Fact]
    public async Task Curl_ConnectionClose_LargeResponseArrivesWhole()
    {
        // The proxy closes after this response: every byte must be out before its socket goes,
        // also when the client reads slower than the proxy writes.
        for (var i = 0; i < 3; i++)
        {
            var (exit, stdout) = await CurlAsync("-s", "-f", "-H", "Connection: close", "--limit-rate", "20M",
                "-o", "/dev/null", "-w", "%{size_download}", Url("/bytes/8000000"));

            Assert.Equal(0, exit);
            Assert.Equal("8000000", stdout);
        }
    }

    [Theory]
    [InlineData("/nothing", "404")]
    [InlineData("/dead/", "502")]
    public async Task Curl_ErrorPaths_ReportStatus(string path, string status)
    {
        var (_, stdout) = await CurlAsync("-s", "-o", "/dev/null", "-w", "%{http_code}", Url(path));

        Assert.Equal(status, stdout);
    }
}
