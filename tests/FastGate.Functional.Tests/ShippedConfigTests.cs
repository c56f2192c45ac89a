using System.Net;
using System.Text.RegularExpressions;
using FastGate.Functional.Tests.Infrastructure;

namespace FastGate.Functional.Tests;

/// <summary>
/// Every config the repository ships must start as is: a user's first `fastgate run -c` on an
/// example is the worst place to learn that `check` said ok for a file `run` refuses.
/// </summary>
public sealed partial class ShippedConfigTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("fastgate-shipped-").FullName;

    public static TheoryData<string> ShippedConfigs()
    {
        var root = RepositoryRoot();
        var data = new TheoryData<string>();
        foreach (var file in Directory.GetFiles(Path.Combine(root, "configs"), "*.toml", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            data.Add(Path.GetRelativePath(root, file));
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(ShippedConfigs))]
    public async Task Run_ShippedConfig_ServesHealthzAndStopsCleanly(string relativePath)
    {
        // Only the addresses change, so several examples (and other tests) never fight over a port;
        // every other line is run exactly as shipped.
        int adminPort = 0;
        var text = ListenLine().Replace(File.ReadAllText(Path.Combine(RepositoryRoot(), relativePath)), match =>
        {
            int port = FreePort.Next();
            if (adminPort == 0 && IsAdminListen(match))
            {
                adminPort = port;
            }

            return $"{match.Groups["key"].Value}\"127.0.0.1:{port}\"";
        });
        Assert.True(adminPort != 0, $"{relativePath} has no [admin] listen to probe");
        var path = Path.Combine(_directory, Path.GetFileName(relativePath));
        await File.WriteAllTextAsync(path, text);

        using var process = ChildProcess.StartDll(TestPaths.FastGateDll, ["run", "-c", path], workingDirectory: _directory);
        using var admin = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{adminPort}"), Timeout = TimeSpan.FromSeconds(5) };
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        HttpStatusCode? status = null;
        while (status is null && DateTime.UtcNow < deadline && !process.HasExited)
        {
            try
            {
                using var response = await admin.GetAsync("/healthz");
                status = response.StatusCode;
            }
            catch (HttpRequestException)
            {
                await Task.Delay(100);
            }
        }

        Assert.True(status == HttpStatusCode.OK, $"{relativePath} did not serve /healthz (status {status}, exited {process.HasExited}):\n{process.Stdout}\n{process.Stderr}");
        process.Signal("TERM");
        var exit = await process.WaitForExitAsync(TimeSpan.FromSeconds(30));
        Assert.True(exit == 0, $"{relativePath}: exit {exit?.ToString() ?? "none within 30 s"}:\n{process.Stderr}");
    }

    // The admin table's listen is the one written while the last table header seen was [admin].
    private static bool IsAdminListen(Match match)
    {
        var before = match.Result("$`");
        var header = HeaderLine().Matches(before).LastOrDefault();
        return header is not null && header.Groups[1].Value == "admin";
    }

    [GeneratedRegex(@"^(?<key>listen\s*=\s*)""[^""]*""", RegexOptions.Multiline)]
    private static partial Regex ListenLine();

    [GeneratedRegex(@"^\[\[?\s*([A-Za-z0-9_.\-]+)\s*\]\]?", RegexOptions.Multiline)]
    private static partial Regex HeaderLine();

    private static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "FastGate.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException("FastGate.sln not found above " + AppContext.BaseDirectory);
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
