namespace FastGate.Tools.StreamLoad;

/// <summary>
/// stream-load: the load client for long-lived connections (WebSocket echo, Server-Sent Events,
/// and holding thousands of both), on raw sockets so that one core of it outruns the proxy it
/// measures. See README.md.
/// </summary>
public static class Program
{
    public static async Task<int> Main(string[] args)
    {
        Options options;
        try
        {
            options = Options.Parse(args);
            return options.Mode switch
            {
                "ws-echo" => await EchoRun.RunAsync(options),
                "sse" => await SseRun.RunAsync(options),
                "hold" => await HoldRun.RunAsync(options),
                "ai" => await AiRun.RunAsync(options),
                "-h" or "--help" or "help" => Help(),
                _ => throw new ArgumentException($"unknown mode '{options.Mode}'"),
            };
        }
        catch (ArgumentException e)
        {
            await Console.Error.WriteLineAsync($"stream-load: {e.Message}");
            await Console.Error.WriteLineAsync(Options.Usage);
            return 2;
        }
    }

    private static int Help()
    {
        Console.WriteLine(Options.Usage);
        return 0;
    }
}
