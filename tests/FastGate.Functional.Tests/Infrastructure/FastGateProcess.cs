using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;

namespace FastGate.Functional.Tests.Infrastructure;

/// <summary>
/// A running `fastgate run -c FILE` with its config in a temp dir of its own. The config is a
/// template where <c>{listen}</c>, <c>{listen2}</c> and <c>{admin}</c> become free loopback
/// ports chosen here. Disposing kills the daemon (if a test has not stopped it) and deletes
/// the directory.
/// </summary>
public sealed partial class FastGateProcess : IAsyncDisposable
{
    private ChildProcess? _process;

    private FastGateProcess(string directory)
    {
        Directory = directory;
        ConfigPath = Path.Combine(directory, "fastgate.toml");
        Port = FreePort.Next();
        Port2 = FreePort.Next();
        AdminPort = FreePort.Next();
        Admin = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{AdminPort}"), Timeout = TimeSpan.FromSeconds(10) };
    }

    public string Directory { get; }
    public string ConfigPath { get; }
    public int Port { get; }
    public int Port2 { get; }
    public int AdminPort { get; }
    public Uri BaseUri => new($"http://127.0.0.1:{Port}");
    public HttpClient Admin { get; }
    public ChildProcess Process => _process ?? throw new InvalidOperationException("not started");

    /// <param name="launcher">A command that execs the daemon in its own process (<c>nohup</c>), or null.</param>
    public static async Task<FastGateProcess> StartAsync(string template, IDictionary<string, string>? environment = null, string? launcher = null)
    {
        var directory = System.IO.Directory.CreateTempSubdirectory("fastgate-functional-").FullName;
        var gate = new FastGateProcess(directory);
        try
        {
            gate.WriteConfig(template);
            gate._process = ChildProcess.StartDll(TestPaths.FastGateDll, ["run", "-c", gate.ConfigPath], environment, directory, launcher);
            await gate.WaitUntilServingAsync(TimeSpan.FromSeconds(30));
            return gate;
        }
        catch
        {
            await gate.DisposeAsync();
            throw;
        }
    }

    /// <summary>Writes the config file (atomically, so a reload never reads half a file).</summary>
    public void WriteConfig(string template)
    {
        var text = template
            .Replace("{listen}", $"127.0.0.1:{Port}", StringComparison.Ordinal)
            .Replace("{listen2}", $"127.0.0.1:{Port2}", StringComparison.Ordinal)
            .Replace("{admin}", $"127.0.0.1:{AdminPort}", StringComparison.Ordinal);
        var temp = ConfigPath + ".tmp";
        File.WriteAllText(temp, text);
        File.Move(temp, ConfigPath, overwrite: true);
    }

    private async Task WaitUntilServingAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        while (true)
        {
            if (Process.HasExited)
            {
                throw new InvalidOperationException($"fastgate exited with {Process.ExitCode} before serving:\n{Process.Stderr}");
            }
            try
            {
                using (var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp))
                {
                    await probe.ConnectAsync(new IPEndPoint(IPAddress.Loopback, Port), cts.Token);
                }
                using var health = await Admin.GetAsync("/healthz", cts.Token);
                if (health.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (Exception ex) when (ex is SocketException or HttpRequestException && !cts.IsCancellationRequested)
            {
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"fastgate not serving within {timeout}:\n{Process.Stderr}");
            }
            await Task.Delay(100, cts.Token);
        }
    }

    public async Task<string> MetricsAsync()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        return await Admin.GetStringAsync("/metrics", cts.Token);
    }

    /// <summary>Value of one sample in /metrics (name with its labels exactly as printed), 0 when absent.</summary>
    public static double Metric(string metrics, string series)
    {
        foreach (var line in metrics.Split('\n'))
        {
            if (line.StartsWith(series + " ", StringComparison.Ordinal))
            {
                return double.Parse(line[(series.Length + 1)..], CultureInfo.InvariantCulture);
            }
        }
        return 0;
    }

    /// <summary>Sum of every sample of a metric whose labels contain all of <paramref name="labels"/>.</summary>
    public static double MetricSum(string metrics, string name, params string[] labels) => Samples(metrics, name, labels).Sum();

    /// <summary>The first sample of a metric whose labels contain all of <paramref name="labels"/>; null when there is none.</summary>
    public static double? MetricSample(string metrics, string name, params string[] labels)
    {
        foreach (var value in Samples(metrics, name, labels))
        {
            return value;
        }
        return null;
    }

    private static IEnumerable<double> Samples(string metrics, string name, string[] labels)
    {
        foreach (Match match in SamplePattern().Matches(metrics))
        {
            if (match.Groups[1].Value == name && labels.All(l => match.Groups[2].Value.Contains(l, StringComparison.Ordinal)))
            {
                yield return double.Parse(match.Groups[3].Value, CultureInfo.InvariantCulture);
            }
        }
    }

    [GeneratedRegex(@"^([a-z0-9_]+)(\{[^}]*\})? (\S+)$", RegexOptions.Multiline)]
    private static partial Regex SamplePattern();

    public async ValueTask DisposeAsync()
    {
        _process?.Dispose();
        Admin.Dispose();
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
        await Task.CompletedTask;
    }
}
