using System.Collections.Frozen;
using System.Text;
using Tomlyn.Parsing;
using Tomlyn.Syntax;

namespace FastGate.Proxy.Config;

/// <summary>
/// Reads the TOML config file and validates it into a <see cref="ConfigModel"/>. Loading never
/// throws on bad input: every problem found is returned as a <see cref="ConfigError"/> with the
/// line and column of the offending key or value, all of them in one pass, so a user fixes a file
/// in one round rather than one error per run.
/// </summary>
public static partial class ConfigLoader
{
    private static readonly string[] RootKeys = ["workers", "transport", "busy_poll", "admin", "log", "defaults", "listener", "route", "cluster", "consumer", "rate_limit", "ai", "provider", "model", "http2"];

    private static readonly Dictionary<string, TransportKind> TransportKinds = new()
    {
        ["epoll"] = TransportKind.Epoll,
        ["portable"] = TransportKind.Portable,
    };

    /// <summary>Keys whose values are never shown: in /config, in logs, anywhere.</summary>
    internal static readonly FrozenSet<string> SecretKeys =
        new[] { "token", "key", "keys", "password", "basic_password", "secret", "api_key" }.ToFrozenSet(StringComparer.OrdinalIgnoreCase);

    /// <summary>Reads and validates the file at <paramref name="path"/>.</summary>
    public static ConfigLoadResult Load(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            return ConfigLoadResult.Failure([new ConfigError(path, 1, 1, $"cannot read file: {e.Message}")]);
        }

        return LoadFromText(text, path);
    }

    /// <summary>
    /// Validates <paramref name="text"/> as if read from <paramref name="path"/>: errors name that
    /// path, and relative paths in the file (TLS files, file: secrets, the access log) are resolved
    /// against its folder.
    /// </summary>
    public static ConfigLoadResult LoadFromText(string text, string path)
    {
        string fullPath;
        try
        {
            fullPath = Path.GetFullPath(path);
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or PathTooLongException)
        {
            return ConfigLoadResult.Failure([new ConfigError(path, 1, 1, $"invalid file path: {e.Message}")]);
        }

        var reader = new ConfigReader(path, Path.GetDirectoryName(fullPath) ?? Directory.GetCurrentDirectory());
        try
        {
            if (!TomlReader.TryRead(text, SecretKeys, out var root, out var redactedText, out var readError))
            {
                if (readError is { } fatal)
                {
                    reader.Error(fatal.At, fatal.Message);
                    return Failure(reader);
                }

                // Not TOML our reader accepts: Tomlyn reports the syntax error as users know it,
                // or reads the file if our stricter reader was wrong to refuse it.
                var document = SyntaxParser.Parse(text, path, true);
                if (document.HasErrors)
                {
                    // Only the earliest syntax error: after it the parser is resynchronizing, and what it
                    // reports next (an unterminated string swallowing the following lines) is noise.
                    var first = document.Diagnostics
                        .Where(d => d.Kind == DiagnosticMessageKind.Error)
                        .MinBy(d => d.Span.Start.Offset)!;
                    reader.Error(SourcePosition.From(first.Span.Start), first.Message);
                    return Failure(reader);
                }

                root = TomlTreeBuilder.Build(document);
                redactedText = Redact(text, document);
            }

            var model = Bind(reader, root, fullPath, redactedText);
            return model is not null && reader.Errors.Count == 0 ? ConfigLoadResult.Success(model) : Failure(reader);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // A loader bug must not take down a running daemon on reload: report it like any
            // other error so the old config keeps serving.
            reader.Error(SourcePosition.Start, $"internal error while loading the config: {e.Message}");
            return Failure(reader);
        }
    }

    private static ConfigLoadResult Failure(ConfigReader reader) =>
        ConfigLoadResult.Failure(reader.Errors.OrderBy(e => e.Line).ThenBy(e => e.Column).ToList().AsReadOnly());

    private static ConfigModel? Bind(ConfigReader r, TomlTableNode root, string fullPath, string redactedText)
    {
        r.CheckKeys(root, "the top level", RootKeys);
        var workers = (int)(r.Integer(root, "workers", 0, 1024) ?? 0);
        var transport = r.Choice(root, "transport", TransportKinds) ?? TransportKind.Epoll;
        var busyPoll = ReadBusyPoll(r, root);
        var admin = ReadAdmin(r, r.Table(root, "admin"));
        var log = ReadLog(r, r.Table(root, "log"));
        var defaults = ReadDefaults(r, r.Table(root, "defaults"));
        var http2 = ReadHttp2(r, r.Table(root, "http2"), defaults);
        var rateLimit = ReadRateLimit(r, root);
        var clusters = ReadClusters(r, root);
        var ai = ReadAiTables(r, root, clusters);
        var listeners = ReadListeners(r, r.Tables(root, "listener"), defaults, clusters, admin);
        var consumers = ReadConsumers(r, root);
        var consumerIndex = new ConsumerIndex(consumers.Values);
        var routes = ReadRoutes(r, r.Tables(root, "route"), defaults, listeners, clusters, consumerIndex, ai);
        RefuseProxyProtocolOnHttpRoutes(r, root, clusters, routes);

        if (r.Errors.Count > 0)
        {
            return null;
        }

        return new ConfigModel
        {
            SourcePath = fullPath,
            Workers = workers,
            Transport = transport,
            BusyPoll = busyPoll,
            Admin = admin,
            Log = log,
            Defaults = defaults,
            RateLimit = rateLimit,
            ConsumerLimits = consumers.Values.Any(c => c.RequestsPerMinute is not null),
            Listeners = listeners.Models.AsReadOnly(),
            Routes = routes.AsReadOnly(),
            Clusters = clusters.Models.ToFrozenDictionary(StringComparer.Ordinal),
            Consumers = consumers.ToFrozenDictionary(StringComparer.Ordinal),
            ConsumerIndex = consumerIndex,
            RedactedText = redactedText,
            Providers = ai.Providers.ToFrozenDictionary(StringComparer.Ordinal),
            Models = ai.Models.AsReadOnly(),
            Ai = ai.Ai,
            Http2 = http2,
        };
    }

    /// <summary>
    /// The file text with the value of every secret-bearing key replaced by "[redacted]", kept as a
    /// quoted string so the result is still valid TOML.
    /// </summary>
    internal static string Redact(string text, DocumentSyntax document)
    {
        var spans = new List<SourceSpan>();
        void Visit(KeyValueSyntax keyValue)
        {
            var key = keyValue.Key!;
            var last = key.DotKeys.ChildrenCount > 0 ? key.DotKeys.GetChild(key.DotKeys.ChildrenCount - 1)!.Key! : key.Key!;
            var name = last is StringValueSyntax quoted ? quoted.Value! : ((BareKeySyntax)last).Key!.Text!;
            if (SecretKeys.Contains(name))
            {
                spans.Add(keyValue.Value!.Span);
            }
            else
            {
                VisitValue(keyValue.Value!);
            }
        }

        void VisitValue(ValueSyntax value)
        {
            if (value is InlineTableSyntax table)
            {
                foreach (var item in table.Items)
                {
                    Visit(item.KeyValue!);
                }
            }
            else if (value is ArraySyntax array)
            {
                foreach (var item in array.Items)
                {
                    VisitValue(item.Value!);
                }
            }
        }

        foreach (var keyValue in document.KeyValues)
        {
            Visit(keyValue);
        }

        foreach (var table in document.Tables)
        {
            foreach (var keyValue in table.Items)
            {
                Visit(keyValue);
            }
        }

        var builder = new StringBuilder(text);
        foreach (var span in spans.OrderByDescending(s => s.Offset))
        {
            builder.Remove(span.Offset, span.Length).Insert(span.Offset, "\"[redacted]\"");
        }

        return builder.ToString();
    }
}
