using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.RegularExpressions;
using YamlDotNet.Serialization;
using YamlDotNet.Serialization.NamingConventions;

namespace FastGate.Tools.CorpusImport;

/// <summary>
/// Converts the upstream HTTP/1.1 corpora (llhttp, http-desync-guardian, smuggler gadgets) into the JSON-lines case
/// files under tests/FastGate.Core.Tests/TestData: one case per line, with its input bytes and the outcome the tests
/// check. Usage: corpus-import [SOURCE_DIR] [OUTPUT_DIR]; SOURCE_DIR defaults to ../shared/testdata/http1 beside the
/// repository, OUTPUT_DIR to tests/FastGate.Core.Tests/TestData.
/// </summary>
public static partial class Program
{
    private static readonly JsonWriterOptions WriterOptions = new()
    {
        // Keeps non-ASCII text readable; control bytes are still escaped (\r, \n, \t, \u0001...).
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        Indented = false,
    };

    public static int Main(string[] args)
    {
        string repo = FindRepoRoot();
        string source = Path.GetFullPath(args.Length > 0 ? args[0] : Path.Combine(repo, "..", "shared", "testdata", "http1"));
        string output = Path.GetFullPath(args.Length > 1 ? args[1] : Path.Combine(repo, "tests", "FastGate.Core.Tests", "TestData"));
        if (!Directory.Exists(source))
        {
            Console.Error.WriteLine($"corpus-import: source folder {source} not found");
            return 1;
        }
        Directory.CreateDirectory(output);
        Directory.CreateDirectory(Path.Combine(output, "licenses"));

        int llhttp = WriteLines(Path.Combine(output, "llhttp-requests.jsonl"), Llhttp(Path.Combine(source, "llhttp", "request")));
        int guardian = WriteLines(Path.Combine(output, "http-desync-guardian.jsonl"), Guardian(Path.Combine(source, "http-desync-guardian")));
        int smuggler = WriteLines(Path.Combine(output, "smuggler-te-gadgets.jsonl"), Smuggler(Path.Combine(source, "smuggler-te-gadgets.json")));

        CopyText(Path.Combine(source, "llhttp", "LICENSE"), Path.Combine(output, "licenses", "llhttp-LICENSE"));
        CopyText(Path.Combine(source, "http-desync-guardian", "LICENSE"), Path.Combine(output, "licenses", "http-desync-guardian-LICENSE"));
        CopyText(Path.Combine(source, "http-desync-guardian", "NOTICE"), Path.Combine(output, "licenses", "http-desync-guardian-NOTICE"));
        CopyText(Path.Combine(source, "smuggler-LICENSE"), Path.Combine(output, "licenses", "smuggler-LICENSE"));

        Console.WriteLine($"corpus-import: {llhttp} llhttp, {guardian} http-desync-guardian, {smuggler} smuggler cases written to {output}");
        return 0;
    }

    private static string FindRepoRoot()
    {
        var dir = new DirectoryInfo(Directory.GetCurrentDirectory());
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "FastGate.sln")))
        {
            dir = dir.Parent;
        }
        return dir?.FullName ?? throw new InvalidOperationException("run inside the FastGate repository (FastGate.sln not found)");
    }

    private static void CopyText(string from, string to) =>
        File.WriteAllText(to, File.ReadAllText(from).ReplaceLineEndings("\n"), new UTF8Encoding(false));

    /// <summary>Writes one compact JSON object per line, "\n" line ends, so that a diff shows changed cases only.</summary>
    private static int WriteLines(string path, IEnumerable<Action<Utf8JsonWriter>> cases)
    {
        using var file = File.Create(path);
        int count = 0;
        foreach (var write in cases)
        {
            using (var writer = new Utf8JsonWriter(file, WriterOptions))
            {
                writer.WriteStartObject();
                write(writer);
                writer.WriteEndObject();
            }
            file.WriteByte((byte)'\n');
            count++;
        }
        return count;
    }

    private static void WriteSource(Utf8JsonWriter w, string project, string file, string name)
    {
        w.WriteStartObject("source");
        w.WriteString("project", project);
        w.WriteString("file", file);
        w.WriteString("case", name);
        w.WriteEndObject();
    }

    /// <summary>Bytes as a JSON string when they are UTF-8 (the usual case), else as base64.</summary>
    private static void WriteBytes(Utf8JsonWriter w, byte[] bytes)
    {
        try
        {
            w.WriteString("input", new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes));
        }
        catch (DecoderFallbackException)
        {
            w.WriteBase64String("inputBase64", bytes);
        }
    }

    // ------------------------------------------------------------------ llhttp

    /// <summary>
    /// The "request" and "request-lenient-*" cases of llhttp's test/request/*.md. Each keeps its input bytes, whether
    /// llhttp rejects it and, when it accepts, the messages it reports (method, target, fields, Content-Length).
    /// </summary>
    private static IEnumerable<Action<Utf8JsonWriter>> Llhttp(string dir)
    {
        foreach (string file in Directory.GetFiles(dir, "*.md").OrderBy(f => f, StringComparer.Ordinal))
        {
            string[] lines = File.ReadAllLines(file);
            string group = Path.GetFileNameWithoutExtension(file);
            string heading = "";
            string? type = null;
            byte[]? input = null;
            var names = new HashSet<string>();
            for (int i = 0; i < lines.Length; i++)
            {
                string line = lines[i];
                if (line.StartsWith('#'))
                {
                    heading = line.TrimStart('#').Trim();
                }
                else if (line.StartsWith("<!-- meta=", StringComparison.Ordinal))
                {
                    string json = line["<!-- meta=".Length..line.LastIndexOf("-->", StringComparison.Ordinal)];
                    type = JsonDocument.Parse(json).RootElement.GetProperty("type").GetString();
                    input = null;
                }
                else if (line.StartsWith("```", StringComparison.Ordinal) && line.Length > 3 && type is not null)
                {
                    string lang = line[3..].Trim();
                    var body = new List<string>();
                    for (i++; i < lines.Length && lines[i] != "```"; i++) body.Add(lines[i]);
                    if (lang == "http")
                    {
                        input = TransformInput(string.Join("\n", body));
                    }
                    else if (lang == "log" && input is not null)
                    {
                        string name = heading;
                        for (int n = 2; !names.Add(name); n++) name = $"{heading} #{n}";
                        if (type == "request" || type.StartsWith("request-lenient-", StringComparison.Ordinal))
                        {
                            yield return LlhttpCase(group, name, heading, type, input, [.. body]);
                        }
                        type = null;
                        input = null;
                    }
                }
            }
        }
    }

    private static Action<Utf8JsonWriter> LlhttpCase(string group, string name, string heading, string type, byte[] input, string[] log) => w =>
    {
        w.WriteString("id", $"{group}: {name}");
        w.WriteString("group", group);
        WriteSource(w, "nodejs/llhttp", $"test/request/{group}.md", heading);
        w.WriteString("type", type);
        WriteBytes(w, input);
        // Codes 21-23 (HPE_PAUSED, HPE_PAUSED_UPGRADE, HPE_PAUSED_H2_UPGRADE) are llhttp's callback pausing, not a
        // verdict on the bytes.
        string? errorLine = log.FirstOrDefault(l => l.Contains(" error code=", StringComparison.Ordinal)
            && !l.Contains(" error code=21 ", StringComparison.Ordinal)
            && !l.Contains(" error code=22 ", StringComparison.Ordinal)
            && !l.Contains(" error code=23 ", StringComparison.Ordinal));
        w.WriteBoolean("reject", errorLine is not null);
        if (errorLine is not null)
        {
            var error = ErrorLine().Match(errorLine);
            w.WriteString("llhttpError", error.Success ? $"code={error.Groups["code"].Value} {error.Groups["reason"].Value}" : errorLine);
            return;
        }
        w.WriteStartArray("messages");
        foreach (var m in ExpectedMessages(log))
        {
            w.WriteStartObject();
            WriteNullable(w, "method", m.Method);
            WriteNullable(w, "target", m.Url);
            if (m.ContentLength is { } length) w.WriteNumber("contentLength", length);
            else w.WriteNull("contentLength");
            w.WriteStartArray("headers");
            foreach (var (hName, hValue) in m.Headers)
            {
                w.WriteStartArray();
                w.WriteStringValue(hName);
                if (hValue is null) w.WriteNullValue();
                else w.WriteStringValue(hValue);
                w.WriteEndArray();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        w.WriteEndArray();
    };

    private static void WriteNullable(Utf8JsonWriter w, string name, string? value)
    {
        if (value is null) w.WriteNull(name);
        else w.WriteString(name, value);
    }

    [GeneratedRegex("""^off=\d+ error code=(?<code>\d+) reason="(?<reason>.*)"$""")]
    private static partial Regex ErrorLine();

    [GeneratedRegex("""^off=\d+ len=\d+ span\[(?<kind>[a-z_]+)\]="(?<value>.*)"$""")]
    private static partial Regex SpanLine();

    [GeneratedRegex(@"content_length=(?<n>\d+)")]
    private static partial Regex ContentLengthField();

    private sealed class ExpectedMessage
    {
        public string? Method;
        public string? Url;
        public long? ContentLength;
        public readonly List<(string Name, string? Value)> Headers = [];
    }

    /// <summary>
    /// The messages of an llhttp log: method, target, field names and first value spans, Content-Length. A value
    /// llhttp prints escaped (non-printable bytes) becomes null: compared by presence only.
    /// </summary>
    private static List<ExpectedMessage> ExpectedMessages(string[] log)
    {
        var list = new List<ExpectedMessage>();
        ExpectedMessage? current = null;
        string? pendingValue = null;
        int valueSpans = 0;
        bool complete = false;
        foreach (string line in log)
        {
            if (line.EndsWith(" message begin", StringComparison.Ordinal))
            {
                current = new ExpectedMessage();
                list.Add(current);
                complete = false;
                continue;
            }
            if (current is null || complete) continue;
            if (line.Contains(" headers complete ", StringComparison.Ordinal))
            {
                // Field spans after this point are trailer fields, which the proxy validates and drops.
                complete = true;
                var match = ContentLengthField().Match(line);
                if (match.Success) current.ContentLength = long.Parse(match.Groups["n"].Value);
                continue;
            }
            var span = SpanLine().Match(line);
            if (!span.Success) continue;
            string value = span.Groups["value"].Value;
            bool plain = !value.Contains('\\');
            switch (span.Groups["kind"].Value)
            {
                case "method": current.Method = plain ? value : null; break;
                case "url": current.Url = plain ? (current.Url ?? "") + value : null; break;
                case "header_field":
                    current.Headers.Add((value, null));
                    valueSpans = 0;
                    break;
                case "header_value":
                    if (current.Headers.Count == 0) break;
                    pendingValue = valueSpans == 0 ? value : null;
                    valueSpans++;
                    var last = current.Headers[^1];
                    current.Headers[^1] = (last.Name, plain && pendingValue is not null ? pendingValue.Trim(' ', '\t') : null);
                    break;
            }
        }
        return list;
    }

    /// <summary>llhttp's md-test input transformation: continuations, CRLF, escapes.</summary>
    private static byte[] TransformInput(string block)
    {
        string s = block.Replace("\\\n", "", StringComparison.Ordinal).Replace("\n", "\r\n", StringComparison.Ordinal);
        var bytes = new List<byte>();
        for (int i = 0; i < s.Length; i++)
        {
            char ch = s[i];
            if (ch == '\\' && i + 1 < s.Length)
            {
                char next = s[i + 1];
                switch (next)
                {
                    case 'r': bytes.Add((byte)'\r'); i++; continue;
                    case 'n': bytes.Add((byte)'\n'); i++; continue;
                    case 't': bytes.Add((byte)'\t'); i++; continue;
                    case 'f': bytes.Add((byte)'\f'); i++; continue;
                    case 'x' when i + 3 < s.Length && Uri.IsHexDigit(s[i + 2]) && Uri.IsHexDigit(s[i + 3]):
                        bytes.Add(Convert.ToByte(s.Substring(i + 2, 2), 16));
                        i += 3;
                        continue;
                    case >= '0' and <= '7':
                        int j = i + 1, value = 0;
                        while (j < s.Length && j < i + 4 && s[j] is >= '0' and <= '7') value = value * 8 + (s[j++] - '0');
                        bytes.Add((byte)value);
                        i = j - 1;
                        continue;
                }
            }
            if (ch > 0xFF)
            {
                bytes.AddRange(Encoding.UTF8.GetBytes(ch.ToString()));
            }
            else
            {
                bytes.Add((byte)ch);
            }
        }
        return [.. bytes];
    }

    // ------------------------------------------------------------------ http-desync-guardian

    public sealed class GuardianHeader
    {
        public string? Name { get; set; }
        public string? Value { get; set; }
    }

    public sealed class GuardianExpected
    {
        public string? Tier { get; set; }
    }

    public sealed class GuardianCase
    {
        public string Name { get; set; } = "";
        public string? Uri { get; set; }
        public string? Method { get; set; }
        public string? Version { get; set; }
        public List<GuardianHeader>? Headers { get; set; }
        public GuardianExpected Expected { get; set; } = new();
    }

    /// <summary>
    /// Every case of tests/*.yaml: the request as upstream builds it ("{method} {uri} {version}\r\n" +
    /// "{name}: {value}\r\n"... + "\r\n") as text, and its tier (Severe, Ambiguous, Acceptable, Compliant).
    /// </summary>
    private static IEnumerable<Action<Utf8JsonWriter>> Guardian(string dir)
    {
        var deserializer = new DeserializerBuilder().WithNamingConvention(UnderscoredNamingConvention.Instance).IgnoreUnmatchedProperties().Build();
        foreach (string file in Directory.GetFiles(dir, "*.yaml").OrderBy(f => f, StringComparer.Ordinal))
        {
            string group = Path.GetFileNameWithoutExtension(file);
            var cases = deserializer.Deserialize<List<GuardianCase>>(File.ReadAllText(file)) ?? [];
            var seen = new HashSet<string>();
            foreach (var c in cases)
            {
                string name = c.Name;
                for (int n = 2; !seen.Add(name); n++) name = $"{c.Name} #{n}";
                var sb = new StringBuilder();
                sb.Append(c.Method).Append(' ').Append(c.Uri).Append(' ').Append(c.Version).Append("\r\n");
                foreach (var h in c.Headers ?? [])
                {
                    sb.Append(h.Name).Append(": ").Append(h.Value).Append("\r\n");
                }
                sb.Append("\r\n");
                string request = sb.ToString();
                string tier = c.Expected.Tier ?? throw new InvalidDataException($"{group}: {c.Name} has no expected tier");
                yield return w =>
                {
                    w.WriteString("id", $"{group}: {name}");
                    w.WriteString("group", group);
                    WriteSource(w, "aws/http-desync-guardian", $"tests/{group}.yaml", c.Name);
                    w.WriteString("request", request);
                    w.WriteString("tier", tier);
                };
            }
        }
    }

    // ------------------------------------------------------------------ smuggler

    /// <summary>
    /// Every Transfer-Encoding gadget: one or more header lines (without the final CRLF) that obfuscate
    /// "Transfer-Encoding: chunked". The tests put each into the request template of upstream.
    /// </summary>
    private static IEnumerable<Action<Utf8JsonWriter>> Smuggler(string path)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(path));
        int index = 0;
        foreach (var g in doc.RootElement.GetProperty("gadgets").EnumerateArray())
        {
            string gadget = g.GetProperty("gadget").GetString()!;
            string[] names = [.. g.GetProperty("names").EnumerateArray().Select(n => n.GetString()!)];
            string[] configs = [.. g.GetProperty("configs").EnumerateArray().Select(n => n.GetString()!)];
            int id = index++;
            yield return w =>
            {
                w.WriteNumber("id", id);
                WriteSource(w, "defparam/smuggler", string.Join(", ", configs.Select(c => $"configs/{c}.py")), string.Join(",", names));
                w.WriteString("gadget", gadget);
            };
        }
    }
}
