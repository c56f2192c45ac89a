using System.Diagnostics;

namespace FastGate.Functional.Tests.Infrastructure;

/// <summary>openssl s_client against a gateway's listener: the transcript an operator would read.</summary>
public static class TlsOpenSslClient
{
    /// <summary>A handshake, and with <paramref name="request"/> one exchange (read until the server closes); exit code and transcript.</summary>
    public static async Task<(int ExitCode, string Output)> RunAsync(int port, string? request, params string[] args)
    {
        var info = new ProcessStartInfo("openssl")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add("s_client");
        info.ArgumentList.Add("-connect");
        info.ArgumentList.Add($"127.0.0.1:{port}");
        if (!string.IsNullOrEmpty(request))
        {
            // -ign_eof keeps s_client reading until the server closes (Connection: close), after TLS 1.3's tickets arrive.
            info.ArgumentList.Add("-ign_eof");
        }
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
            if (request is not null)
            {
                await process.StandardInput.WriteAsync(request);
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

    public static string Get(string path, string host = "a.test") => $"GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n";
}
