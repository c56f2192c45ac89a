using System.Diagnostics;
using System.Text;

namespace FastGate.Functional.Tests.Infrastructure;

/// <summary>
/// One `dotnet X.dll` child process with its stdout and stderr captured line by line, so tests
/// can wait for a line and assert on the daemon's log. Disposing kills the process (and its
/// tree): no test may leave a process behind, whatever it asserted.
/// </summary>
public sealed class ChildProcess : IDisposable
{
    private readonly Process _process;
    private readonly object _gate = new();
    private readonly StringBuilder _stdout = new();
    private readonly StringBuilder _stderr = new();
    private readonly List<(Func<string, bool> Match, TaskCompletionSource<string> Found)> _waiters = [];

    private ChildProcess(Process process)
    {
        _process = process;
    }

    public int Id => _process.Id;
    public bool HasExited => _process.HasExited;
    public int ExitCode => _process.ExitCode;

    public string Stdout { get { lock (_gate) { return _stdout.ToString(); } } }
    public string Stderr { get { lock (_gate) { return _stderr.ToString(); } } }

    /// <param name="launcher">A command that execs the rest in the same process (<c>nohup</c>), or null.</param>
    /// <remarks>
    /// With FASTGATE_TEST_BINARY set to a published daemon executable (a NativeAOT or
    /// self-contained build), fastgate.dll runs as that executable instead, so the suite can
    /// check the build that ships.
    /// </remarks>
    public static ChildProcess StartDll(string dll, IEnumerable<string> args, IDictionary<string, string>? environment = null, string? workingDirectory = null, string? launcher = null)
    {
        var published = Path.GetFileName(dll) == "fastgate.dll"
            ? Environment.GetEnvironmentVariable("FASTGATE_TEST_BINARY") is { Length: > 0 } binary ? binary : null
            : null;
        var info = new ProcessStartInfo(launcher ?? published ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = false,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Path.GetDirectoryName(dll)!,
        };
        if (published is null)
        {
            if (launcher is not null)
            {
                info.ArgumentList.Add("dotnet");
            }
            info.ArgumentList.Add(dll);
        }
        else if (launcher is not null)
        {
            info.ArgumentList.Add(published);
        }
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }
        // The test host's own settings must not leak into the daemon under test.
        info.Environment.Remove("NOTIFY_SOCKET");
        info.Environment.Remove("WATCHDOG_USEC");
        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        if (environment is not null)
        {
            foreach (var (key, value) in environment)
            {
                info.Environment[key] = value;
            }
        }
        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        var child = new ChildProcess(process);
        process.OutputDataReceived += (_, e) => child.OnLine(e.Data, child._stdout);
        process.ErrorDataReceived += (_, e) => child.OnLine(e.Data, child._stderr);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return child;
    }

    private void OnLine(string? line, StringBuilder buffer)
    {
        if (line is null)
        {
            return;
        }
        List<TaskCompletionSource<string>> found = [];
        lock (_gate)
        {
            buffer.Append(line).Append('\n');
            for (var i = _waiters.Count - 1; i >= 0; i--)
            {
                if (_waiters[i].Match(line))
                {
                    found.Add(_waiters[i].Found);
                    _waiters.RemoveAt(i);
                }
            }
        }
        foreach (var tcs in found)
        {
            tcs.TrySetResult(line);
        }
    }

    /// <summary>Waits for a stdout or stderr line (already written or future) matching <paramref name="match"/>.</summary>
    public async Task<string> WaitForLineAsync(Func<string, bool> match, TimeSpan timeout)
    {
        var tcs = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_gate)
        {
            var existing = (_stdout + _stderr.ToString()).Split('\n').FirstOrDefault(l => l.Length > 0 && match(l));
            if (existing is not null)
            {
                return existing;
            }
            _waiters.Add((match, tcs));
        }
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            return await tcs.Task.WaitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"no matching line within {timeout}; stdout:\n{Stdout}\nstderr:\n{Stderr}");
        }
    }

    /// <summary>Sends a signal with kill(1), as an operator or systemd would.</summary>
    public void Signal(string name)
    {
        using var kill = Process.Start(new ProcessStartInfo("kill") { ArgumentList = { "-s", name, Id.ToString() }, UseShellExecute = false })!;
        if (!kill.WaitForExit(5000) || kill.ExitCode != 0)
        {
            throw new InvalidOperationException($"kill -s {name} {Id} failed");
        }
    }

    /// <summary>Waits for the process to exit; returns its exit code or null on timeout.</summary>
    public async Task<int?> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
            return _process.ExitCode;
        }
        catch (OperationCanceledException)
        {
            return null;
        }
    }

    /// <summary>Resident set size from /proc, in bytes (0 once the process is gone).</summary>
    public long ResidentBytes()
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{Id}/status"))
            {
                if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                {
                    var kib = long.Parse(line["VmRSS:".Length..].Trim().Split(' ')[0]);
                    return kib * 1024;
                }
            }
        }
        catch (IOException)
        {
        }
        return 0;
    }

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(5000);
            }
        }
        catch (InvalidOperationException)
        {
            // Exited between the check and the kill.
        }
        _process.Dispose();
    }
}
