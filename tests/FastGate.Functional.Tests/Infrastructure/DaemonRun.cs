namespace FastGate.Functional.Tests.Infrastructure;

/// <summary>
/// A `fastgate run` with a literal config (no placeholders, any admin address or token) and
/// extra arguments, for tests that <see cref="FastGateProcess"/> cannot start: it waits for the
/// daemon's "serving" log line instead of probing the admin API. Disposing kills the daemon and
/// deletes its directory.
/// </summary>
public sealed class DaemonRun : IAsyncDisposable
{
    private DaemonRun(string directory, ChildProcess process)
    {
        Directory = directory;
        Process = process;
    }

    public string Directory { get; }
    public string ConfigPath => System.IO.Path.Combine(Directory, "fastgate.toml");
    public ChildProcess Process { get; }

    /// <summary>Starts a daemon and waits until it serves; throws with its output if it exits first.</summary>
    public static async Task<DaemonRun> StartAsync(string config, params string[] extraArgs)
    {
        var run = Launch(config, extraArgs);
        try
        {
            var serving = run.Process.WaitForLineAsync(l => l.Contains(" serving ", StringComparison.Ordinal), TimeSpan.FromSeconds(30));
            var exited = run.Process.WaitForExitAsync(TimeSpan.FromSeconds(30));
            if (await Task.WhenAny(serving, exited) != serving || run.Process.HasExited)
            {
                throw new InvalidOperationException($"fastgate did not start:\n{run.Process.Stdout}{run.Process.Stderr}");
            }
            await serving;
            return run;
        }
        catch
        {
            await run.DisposeAsync();
            throw;
        }
    }

    /// <summary>Starts a daemon without waiting for anything (for daemons expected to fail).</summary>
    public static DaemonRun Launch(string config, params string[] extraArgs)
    {
        var directory = System.IO.Directory.CreateTempSubdirectory("fastgate-functional-").FullName;
        var path = System.IO.Path.Combine(directory, "fastgate.toml");
        File.WriteAllText(path, config);
        var process = ChildProcess.StartDll(TestPaths.FastGateDll, ["run", "-c", path, .. extraArgs], workingDirectory: directory);
        return new DaemonRun(directory, process);
    }

    /// <summary>Replaces the config file atomically, so a reload never reads half a file.</summary>
    public void WriteConfig(string config)
    {
        var temp = ConfigPath + ".tmp";
        File.WriteAllText(temp, config);
        File.Move(temp, ConfigPath, overwrite: true);
    }

    public ValueTask DisposeAsync()
    {
        Process.Dispose();
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
        return ValueTask.CompletedTask;
    }
}
