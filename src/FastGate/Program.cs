using FastGate;
using FastGate.Lifecycle;
using FastGate.Proxy.Config;

return await Cli.RunAsync(args);

internal static class Cli
{
    private const string Usage = """
        usage: fastgate run -c FILE [--pid-file PATH]
                                         serve with the config in FILE; write the process id
                                         to PATH while serving
               fastgate check -c FILE    validate FILE; print FILE:LINE:COL: message per error
               fastgate version          print the version
        """;

    public static async Task<int> RunAsync(string[] args)
    {
        if (args.Length == 0)
        {
            Console.Error.WriteLine(Usage);
            return 2;
        }
        switch (args[0])
        {
            case "version" or "--version" or "-v":
                Console.WriteLine($"fastgate {VersionInfo.Version}");
                return 0;
            case "check":
                return ConfigPath(args) is { } checkPath ? Check(checkPath) : 2;
            case "run":
                if (ConfigPath(args) is not { } runPath || !TryOption(args, "--pid-file", out var pidFile))
                {
                    return 2;
                }
                return await new Daemon(runPath, pidFile).RunAsync();
            case "help" or "--help" or "-h":
                Console.WriteLine(Usage);
                return 0;
            default:
                Console.Error.WriteLine($"unknown command '{args[0]}'\n{Usage}");
                return 2;
        }
    }

    private static string? ConfigPath(string[] args)
    {
        for (var i = 1; i < args.Length - 1; i++)
        {
            if (args[i] is "-c" or "--config")
            {
                return args[i + 1];
            }
        }
        Console.Error.WriteLine($"missing -c FILE\n{Usage}");
        return null;
    }

    /// <summary>An optional <c>NAME VALUE</c> pair; false (after printing the usage) when NAME has no value.</summary>
    private static bool TryOption(string[] args, string name, out string? value)
    {
        value = null;
        for (var i = 1; i < args.Length; i++)
        {
            if (args[i] == name)
            {
                if (i + 1 >= args.Length)
                {
                    Console.Error.WriteLine($"missing value for {name}\n{Usage}");
                    return false;
                }
                value = args[i + 1];
            }
        }
        return true;
    }

    private static int Check(string path)
    {
        var result = ConfigLoader.Load(path);
        if (result.Model is not null && result.Errors.Count == 0)
        {
            Console.WriteLine($"{path}: ok");
            return 0;
        }
        foreach (var error in result.Errors)
        {
            Console.WriteLine(error);
        }
        return 1;
    }
}
