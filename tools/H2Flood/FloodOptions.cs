using System.Globalization;
using System.Net;

namespace FastGate.Tools.H2Flood;

/// <summary>The command line: an attack, then <c>--name value</c> pairs.</summary>
internal sealed class FloodOptions
{
    public const string Usage = """
        usage:
          h2flood ATTACK --target 127.0.0.1:PORT [--connections 4] [--duration 10s]
                         [--rate 0] [--authority localhost] [--path /] [--no-read 0|1]
                         [--from 127.0.0.2]
        ATTACK: rapid-reset | continuation | hpack-bomb | settings | ping | empty-data
                | window-update | zero-window
        Plain HTTP/2 with prior knowledge (h2c), loopback addresses only. Each connection runs
        the attack until --duration is over, reconnecting when the server closes it.
        --rate N: at most N attack frames per second per connection (0: as fast as the socket
        takes them), so that the attack does not starve the load core instead of the server.
        --no-read 1: never read what the server sends (its replies pile up on its side).
        --from ADDRESS: the loopback source address of the attack's connections, so a server
        that judges clients by address tells the attacker from a good client on 127.0.0.1.
        One JSON line on stdout (what was sent, what came back), a summary on stderr.
        Exit: 0 ran, 1 no connection could be opened, 2 bad arguments.
        """;

    private static readonly string[] Attacks =
        ["rapid-reset", "continuation", "hpack-bomb", "settings", "ping", "empty-data", "window-update", "zero-window"];

    public string Attack { get; private init; } = "";
    public IPEndPoint Target { get; private init; } = new(IPAddress.Loopback, 0);
    public int Connections { get; private init; } = 4;
    public TimeSpan Duration { get; private init; } = TimeSpan.FromSeconds(10);
    public string Authority { get; private init; } = "localhost";
    public string Path { get; private init; } = "/";
    public bool NoRead { get; private init; }
    public int Rate { get; private init; }
    public bool Help { get; private init; }
    /// <summary>The source address the connections are bound to; null: the system's choice.</summary>
    public IPAddress? From { get; private init; }

    public static FloodOptions Parse(string[] args)
    {
        if (args.Length == 0)
        {
            throw new ArgumentException("no attack given");
        }
        if (args[0] is "-h" or "--help" or "help")
        {
            return new FloodOptions { Help = true };
        }
        if (!Attacks.Contains(args[0]))
        {
            throw new ArgumentException($"unknown attack '{args[0]}' (known: {string.Join(", ", Attacks)})");
        }
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 1; i < args.Length; i++)
        {
            var name = args[i];
            if (!name.StartsWith("--", StringComparison.Ordinal) || i + 1 >= args.Length)
            {
                throw new ArgumentException($"expected --NAME VALUE at '{name}'");
            }
            values[name[2..]] = args[++i];
        }
        foreach (var name in values.Keys)
        {
            if (name is not ("target" or "connections" or "duration" or "rate" or "authority" or "path" or "no-read" or "from"))
            {
                throw new ArgumentException($"unknown option --{name}");
            }
        }
        if (!values.TryGetValue("target", out var target))
        {
            throw new ArgumentException("--target is required");
        }
        if (!IPEndPoint.TryParse(target, out var endpoint) || endpoint.Port == 0)
        {
            throw new ArgumentException($"--target: '{target}' is not ADDRESS:PORT");
        }
        // A flood tool for our own harness: it never aims at anything but this machine.
        if (!IPAddress.IsLoopback(endpoint.Address))
        {
            throw new ArgumentException($"--target: {endpoint.Address} is not a loopback address");
        }
        IPAddress? from = null;
        if (values.TryGetValue("from", out var source)
            && (!IPAddress.TryParse(source, out from) || !IPAddress.IsLoopback(from) || from.AddressFamily != endpoint.AddressFamily))
        {
            throw new ArgumentException($"--from: '{source}' is not a loopback address of the target's family");
        }
        var connections = Integer(values, "connections", 4);
        if (connections is < 1 or > 10_000)
        {
            throw new ArgumentException("--connections must be 1 to 10000");
        }
        var path = values.GetValueOrDefault("path", "/");
        if (!path.StartsWith('/'))
        {
            throw new ArgumentException("--path must start with '/'");
        }
        return new FloodOptions
        {
            Attack = args[0],
            Target = endpoint,
            Connections = connections,
            Duration = Seconds(values, "duration", TimeSpan.FromSeconds(10)),
            Authority = values.GetValueOrDefault("authority", "localhost"),
            Path = path,
            NoRead = Integer(values, "no-read", 0) == 1,
            Rate = Integer(values, "rate", 0),
            From = from,
        };
    }

    private static int Integer(Dictionary<string, string> values, string name, int fallback)
    {
        if (!values.TryGetValue(name, out var v))
        {
            return fallback;
        }
        return int.TryParse(v, NumberStyles.None, CultureInfo.InvariantCulture, out var n)
            ? n
            : throw new ArgumentException($"--{name}: '{v}' is not a non-negative integer");
    }

    /// <summary>"10s", "500ms", "2m" or plain seconds.</summary>
    private static TimeSpan Seconds(Dictionary<string, string> values, string name, TimeSpan fallback)
    {
        if (!values.TryGetValue(name, out var v))
        {
            return fallback;
        }
        var (number, unit) = v.EndsWith("ms", StringComparison.Ordinal) ? (v[..^2], 0.001)
            : v.EndsWith('s') ? (v[..^1], 1.0)
            : v.EndsWith('m') ? (v[..^1], 60.0)
            : (v, 1.0);
        return double.TryParse(number, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var d) && d > 0
            ? TimeSpan.FromSeconds(d * unit)
            : throw new ArgumentException($"--{name}: '{v}' is not a duration (10s, 500ms, 2m)");
    }
}
