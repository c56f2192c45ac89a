using System.Text.Json;

namespace FastGate.Functional.Tests.Infrastructure;

/// <summary>Reads a daemon's access log while it writes it (it flushes a few times a second).</summary>
internal static class AccessLogFile
{
    /// <summary>The first line containing <paramref name="fragment"/>, waited for up to <paramref name="timeout"/> (10 s by default).</summary>
    public static async Task<JsonElement> WaitForEntryAsync(string path, string fragment, TimeSpan? timeout = null) =>
        JsonDocument.Parse(await WaitForLineAsync(path, fragment, timeout)).RootElement;

    public static async Task<string> WaitForLineAsync(string path, string fragment, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(10));
        while (true)
        {
            var text = File.Exists(path) ? await ReadAsync(path) : "";
            var line = text.Split('\n').FirstOrDefault(l => l.Contains(fragment, StringComparison.Ordinal));
            if (line is not null)
            {
                return line;
            }
            Assert.True(DateTime.UtcNow < deadline, $"no line with '{fragment}' in {path}:\n{text}");
            await Task.Delay(50);
        }
    }

    /// <summary>The daemon holds the file open for writing (and may move it on SIGUSR1): share both.</summary>
    public static async Task<string> ReadAsync(string path)
    {
        await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var reader = new StreamReader(stream);
        return await reader.ReadToEndAsync();
    }
}
