namespace FastGate.Tools.H2Flood;

/// <summary>
/// h2flood: runs one named HTTP/2 attack (rapid reset, CONTINUATION flood, HPACK bomb, control
/// frame floods, zero-window stall) on M connections to a loopback address for N seconds, and
/// prints what it sent and how the server answered (GOAWAY codes, resets, closes). Raw sockets
/// and its own frame bytes, so it depends on nothing it tests. See README.md.
/// </summary>
public static class Program
{
    public static async Task<int> Main(string[] args)
    {
        FloodOptions options;
        try
        {
            options = FloodOptions.Parse(args);
        }
        catch (ArgumentException e)
        {
            await Console.Error.WriteLineAsync($"h2flood: {e.Message}");
            await Console.Error.WriteLineAsync(FloodOptions.Usage);
            return 2;
        }
        if (options.Help)
        {
            Console.WriteLine(FloodOptions.Usage);
            return 0;
        }

        var stats = new FloodStats();
        var deadline = DateTime.UtcNow + options.Duration;
        var started = DateTime.UtcNow;
        var workers = new Task[options.Connections];
        for (var i = 0; i < workers.Length; i++)
        {
            workers[i] = new FloodWorker(options, stats, deadline).RunAsync();
        }
        await Task.WhenAll(workers);
        var seconds = (DateTime.UtcNow - started).TotalSeconds;

        Console.WriteLine(stats.ToJson(options, seconds));
        await Console.Error.WriteLineAsync(stats.ToText(options, seconds));
        // Exit 1 when not a single connection could be opened: nothing was measured.
        return stats.ConnectionsOpened == 0 ? 1 : 0;
    }
}
