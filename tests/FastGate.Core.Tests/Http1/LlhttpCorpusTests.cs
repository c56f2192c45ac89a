using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Xunit.Abstractions;
using static FastGate.Core.Tests.Http1.Http1TestHelpers;

namespace FastGate.Core.Tests.Http1;

/// <summary>
/// The request cases of llhttp's Markdown tests (see ORIGIN.md in the corpus folder): what llhttp rejects we must
/// reject; what it accepts we must accept with the same method, target and fields, unless listed below.
/// </summary>
public partial class LlhttpCorpusTests(ITestOutputHelper output)
{
    /// <summary>Cases llhttp accepts (strict mode) that we reject on purpose, each with the reason.</summary>
    private static readonly Dictionary<string, string> RejectedDeliberately = new()
    {
        ["method: M-SEARCH request"] = "asterisk-form is only for OPTIONS (RFC 9112 section 3.2.4); SSDP is not proxied",
        ["method: OPTIONS request with RTSP"] = "RTSP/1.0 is not HTTP; only HTTP/1.0 and HTTP/1.1 are served",
        ["method: ANNOUNCE request with RTSP"] = "RTSP/1.0 is not HTTP",
        ["method: SOURCE request with ICE"] = "ICE/1.0 (Icecast) is not HTTP",
        ["sample: No HTTP version"] = "HTTP/0.9 simple requests are not served (no version, no headers)",
        ["uri: Fragment in URI"] = "a fragment is never part of a request-target (RFC 9112 section 3.2)",
        ["method: CONNECT request"] = "CONNECT is not served (405): we are a reverse proxy, not a forward tunnel",
        ["method: CONNECT request with CAPS"] = "CONNECT is not served (405)",
        ["method: CONNECT with body"] = "CONNECT is not served (405)",
        ["uri: Underscore in hostname"] = "a CONNECT request: not served (405)",
        ["method: PRI request HTTP2"] = "the HTTP/2 preface is recognised by the listener before the HTTP/1 parser; as HTTP/1 it is asterisk-form for a non-OPTIONS method",
        ["transfer-encoding: POST with `chunked` as last transfer-encoding"] = "a fragment in the target; also a request coding other than chunked, which we cannot frame-check",
        ["transfer-encoding: POST with `chunked` as last transfer-encoding (multiple headers)"] = "a fragment in the target; also several Transfer-Encoding fields with a coding other than chunked",
        ["uri: `host:port` and basic auth"] = "userinfo in an absolute-form target is refused (RFC 9110 section 4.2.4: deprecated, a phishing vector)",
    };

    /// <summary>Cases llhttp rejects that we accept on purpose, each with the reason.</summary>
    private static readonly Dictionary<string, string> AcceptedDeliberately = new()
    {
        ["invalid: Invalid method"] = "MKCOLA is a valid token method (RFC 9110 section 9.1); unknown methods are forwarded, the origin answers 501",
        ["invalid: HTTP protocol and ANNOUNCE method"] = "ANNOUNCE is a valid token method for HTTP too; llhttp only allows it with RTSP",
    };

    /// <summary>request-lenient-* cases we accept because they are valid under RFC 9112.</summary>
    private static readonly Dictionary<string, string> LenientAccepted = new()
    {
    };

    public sealed record Case(string File, string Name, string Type, byte[] Input, string[] Log)
    {
        public override string ToString() => $"{File}: {Name}";
        /// <summary>
        /// llhttp reported an error. Codes 21-23 (HPE_PAUSED, HPE_PAUSED_UPGRADE, HPE_PAUSED_H2_UPGRADE) are the
        /// callback pausing of llhttp's API, not a verdict on the bytes; code 22 marks an upgrade.
        /// </summary>
        public bool ExpectsError => Log.Any(l => l.Contains(" error code=") && !l.Contains(" error code=21 ") && !l.Contains(" error code=22 ") && !l.Contains(" error code=23 "));
    }

    private static readonly Lazy<List<Case>> AllCases = new(Load);

    public static TheoryData<string> RequestCases() => Names(c => c.Type == "request");

    public static TheoryData<string> LenientCases() => Names(c => c.Type.StartsWith("request-lenient-", StringComparison.Ordinal));

    private static TheoryData<string> Names(Func<Case, bool> filter)
    {
        var data = new TheoryData<string>();
        foreach (Case c in AllCases.Value.Where(filter))
        {
            data.Add(c.ToString());
        }
        return data;
    }

    private static Case Find(string name) => AllCases.Value.Single(c => c.ToString() == name);

    [Fact]
    public void Load_Corpus_HasRequestCases()
    {
        Assert.True(AllCases.Value.Count(c => c.Type == "request") > 100);
        Assert.True(AllCases.Value.Count(c => c.Type == "request" && c.ExpectsError) > 30);
    }

    [Theory]
    [MemberData(nameof(RequestCases))]
    public void Parse_LlhttpRequestCase_AgreesOnValidity(string name)
    {
        Case c = Find(name);
        var outcome = Http1Corpus.Run(c.Input);
        output.WriteLine(Http1Corpus.Describe(outcome));
        if (c.ExpectsError)
        {
            if (AcceptedDeliberately.TryGetValue(name, out string? why))
            {
                Assert.False(outcome.Rejected, $"allow-listed as accepted ({why}) but we: {Http1Corpus.Describe(outcome)}");
                return;
            }
            // Closing after a non-persistent message is how the proxy refuses the bytes llhttp errors on.
            Assert.True(outcome.Rejected || outcome.DataAfterClose, $"llhttp rejects this; we: {Http1Corpus.Describe(outcome)}");
            return;
        }
        if (RejectedDeliberately.TryGetValue(name, out string? reason))
        {
            Assert.True(outcome.Rejected, $"allow-listed as rejected ({reason}) but we: {Http1Corpus.Describe(outcome)}");
            return;
        }
        Assert.False(outcome.Rejected, $"llhttp accepts this; we: {Http1Corpus.Describe(outcome)}");
        CheckAgainstLog(c, outcome);
    }

    [Theory]
    [MemberData(nameof(LenientCases))]
    public void Parse_LlhttpLenientCase_RejectedByStrictParser(string name)
    {
        Case c = Find(name);
        var outcome = Http1Corpus.Run(c.Input);
        output.WriteLine(Http1Corpus.Describe(outcome));
        if (LenientAccepted.TryGetValue(name, out string? reason))
        {
            Assert.False(outcome.Rejected, $"allow-listed as valid ({reason}) but we: {Http1Corpus.Describe(outcome)}");
            return;
        }
        Assert.True(outcome.Rejected || outcome.DataAfterClose, $"needs an llhttp leniency; we: {Http1Corpus.Describe(outcome)}");
    }

    /// <summary>Compares each message with llhttp's log: method, target, field names and values, Content-Length.</summary>
    private static void CheckAgainstLog(Case c, Http1Corpus.Outcome outcome)
    {
        var expected = ExpectedMessages(c.Log);
        Assert.True(outcome.Messages.Count >= expected.Count(m => m.Method is not null) || outcome.Incomplete,
            $"expected {expected.Count} messages, parsed {outcome.Messages.Count}");
        for (int i = 0; i < Math.Min(expected.Count, outcome.Messages.Count); i++)
        {
            var e = expected[i];
            var m = outcome.Messages[i];
            if (e.Method is not null) Assert.Equal(e.Method, m.Method);
            if (e.Url is not null) Assert.Equal(e.Url, m.Target);
            Assert.Equal(e.Headers.Count, m.Headers.Count);
            for (int h = 0; h < e.Headers.Count; h++)
            {
                Assert.Equal(e.Headers[h].Name, m.Headers[h].Name, ignoreCase: true);
                if (e.Headers[h].Value is { } value)
                {
                    Assert.Equal(value.Trim(' ', '\t'), m.Headers[h].Value);
                }
            }
            if (m.ContentLength >= 0 && e.ContentLength is { } length)
            {
                Assert.Equal(length, m.ContentLength);
            }
        }
    }

    private sealed class ExpectedMessage
    {
        public string? Method;
        public string? Url;
        public long? ContentLength;
        public readonly List<(string Name, string? Value)> Headers = [];
    }

    [GeneratedRegex("""^off=\d+ len=\d+ span\[(?<kind>[a-z_]+)\]="(?<value>.*)"$""")]
    private static partial Regex SpanLine();

    [GeneratedRegex(@"content_length=(?<n>\d+)")]
    private static partial Regex ContentLengthField();

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
                // Field spans after this point are trailer fields, which we validate and drop.
                complete = true;
                var match = ContentLengthField().Match(line);
                if (match.Success) current.ContentLength = long.Parse(match.Groups["n"].Value);
                continue;
            }
            var span = SpanLine().Match(line);
            if (!span.Success) continue;
            string value = span.Groups["value"].Value;
            // Escaped values (non-printable bytes) are compared by presence only.
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
                    current.Headers[^1] = (last.Name, plain && pendingValue is not null ? pendingValue : null);
                    break;
            }
        }
        return list;
    }

    private static List<Case> Load()
    {
        string dir = Path.Combine(Http1Corpus.Root, "llhttp", "request");
        var cases = new List<Case>();
        foreach (string file in Directory.GetFiles(dir, "*.md").OrderBy(f => f, StringComparer.Ordinal))
        {
            string[] lines = File.ReadAllLines(file);
            string fileName = Path.GetFileNameWithoutExtension(file);
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
                        cases.Add(new Case(fileName, name, type, input, [.. body]));
                        type = null;
                        input = null;
                    }
                }
            }
        }
        return cases;
    }

    /// <summary>The input transformation of llhttp's md-test (see ORIGIN.md): continuations, CRLF, escapes.</summary>
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
}
