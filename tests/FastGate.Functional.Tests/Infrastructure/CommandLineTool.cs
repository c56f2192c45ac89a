using System.Diagnostics;

namespace FastGate.Functional.Tests.Infrastructure;

/// <summary>A command-line client (openssl, curl) run to its end: exit code and everything it printed.</summary>
public static class CommandLineTool
{
    /// <summary>Runs <paramref name="tool"/>, writes <paramref name="stdin"/> to it (if any) and waits at most 30 s.</summary>
    public static async Task<(int ExitCode, string Output)> RunAsync(string tool, string? stdin, params string[] args)
    {
        var info = new ProcessStartInfo(tool)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
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
            if (stdin is not null)
            {
                await process.StandardInput.WriteAsync(stdin);
            }
            process.StandardInput.Close();
            await process.WaitForExitAsync(cts.Token);
            return (process.ExitCode, await stdout + await stderr);
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill();
            }
        }
    }
}
