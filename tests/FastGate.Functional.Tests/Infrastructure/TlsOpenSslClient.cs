namespace FastGate.Functional.Tests.Infrastructure;

/// <summary>openssl s_client against a gateway's listener: the transcript an operator would read.</summary>
public static class TlsOpenSslClient
{
    /// <summary>A handshake, and with <paramref name="request"/> one exchange (read until the server closes); exit code and transcript.</summary>
    public static Task<(int ExitCode, string Output)> RunAsync(int port, string? request, params string[] args) =>
        // -ign_eof keeps s_client reading until the server closes (Connection: close), after TLS 1.3's tickets arrive.
        CommandLineTool.RunAsync("openssl", request, ["s_client", "-connect", $"127.0.0.1:{port}", .. string.IsNullOrEmpty(request) ? args : ["-ign_eof", .. args]]);

    public static string Get(string path, string host = "a.test") => $"GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n";
}
