using System.Globalization;

namespace FastGate.Tools.StreamLoad;

/// <summary>The command line: a mode, then <c>--name value</c> pairs; each mode says which names it takes.</summary>
internal sealed class Options
{
    private readonly Dictionary<string, string> _values = new(StringComparer.Ordinal);
    private readonly HashSet<string> _used = new(StringComparer.Ordinal);

    public const string Usage = """
        usage:
          stream-load ws-echo --url ws://HOST:PORT/ws [--connections 64] [--duration 10s] [--warmup 2s] [--size 32]
          stream-load sse --url 'http://HOST:PORT/sse?count=0&interval_ms=0' [--streams 1000] [--duration 10s] [--warmup 2s]
                        [--probe-interval-ms 0]
          stream-load hold --ws-url ws://HOST:PORT/ws --sse-url 'http://HOST:PORT/sse?count=0&interval_ms=1000'
                           [--ws 100] [--sse 100] [--duration 60s] [--check-interval 5s] [--stall 10s] [--size 32]
          stream-load ai --url http://HOST:PORT/v1/chat/completions [--connections 64] [--duration 10s] [--warmup 2s]
                         [--model m+tokens-64] [--key bench-key] [--prompt 'say something short'] [--include-usage 0|1]
        common: [--open-concurrency 128] [--buffer BYTES]
        One JSON line on stdout (the figures), progress and a summary on stderr.
        Exit: 0 ok, 1 errors (hold: any stream dropped, out of order or stalled), 2 bad arguments.
        """;

    private Options(string mode) => Mode = mode;

    public string Mode { get; }

    public static Options Parse(string[] args)
    {
        if (args.Length == 0)
        {
            throw new ArgumentException("no mode given");
        }
        var options = new Options(args[0]);
        for (var i = 1; i < args.Length; i++)
        {
            var name = args[i];
            if (!name.StartsWith("--", StringComparison.Ordinal) || i + 1 >= args.Length)
            {
                throw new ArgumentException($"expected --NAME VALUE at '{name}'");
            }
            options._values[name[2..]] = args[++i];
        }
        return options;
    }

    public string Text(string name, string? fallback = null)
    {
        _used.Add(name);
        return _values.TryGetValue(name, out var v) ? v : fallback ?? throw new ArgumentException($"--{name} is required");
    }

    public int Integer(string name, int fallback)
    {
        _used.Add(name);
        if (!_values.TryGetValue(name, out var v))
        {
            return fallback;
        }
        return int.TryParse(v, NumberStyles.None, CultureInfo.InvariantCulture, out var n)
            ? n
            : throw new ArgumentException($"--{name}: '{v}' is not a non-negative integer");
    }

    /// <summary>"10s", "500ms", "2m" or plain seconds.</summary>
    public TimeSpan Duration(string name, TimeSpan fallback)
    {
        _used.Add(name);
        if (!_values.TryGetValue(name, out var v))
        {
            return fallback;
        }
        var (number, unit) = v.EndsWith("ms", StringComparison.Ordinal) ? (v[..^2], 0.001)
            : v.EndsWith('s') ? (v[..^1], 1.0)
            : v.EndsWith('m') ? (v[..^1], 60.0)
            : (v, 1.0);
        return double.TryParse(number, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var d)
            ? TimeSpan.FromSeconds(d * unit)
            : throw new ArgumentException($"--{name}: '{v}' is not a duration (10s, 500ms, 2m)");
    }

    /// <summary>Fails on a name the mode did not ask for, so a typo is not silently ignored.</summary>
    public void CheckAllUsed()
    {
        foreach (var name in _values.Keys)
        {
            if (!_used.Contains(name))
            {
                throw new ArgumentException($"{Mode} does not take --{name}");
            }
        }
    }
}
