using System.Text;
using Xunit.Abstractions;

namespace FastGate.Core.Tests.Http1;

/// <summary>
/// The request cases of llhttp's Markdown tests (TestData/llhttp-requests.jsonl): what llhttp rejects we must
/// reject; what it accepts we must accept with the same method, target and fields, unless listed below.
/// </summary>
public class LlhttpCorpusTests(ITestOutputHelper output)
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

    /// <summary>One case of llhttp-requests.jsonl: the input bytes and what llhttp made of them.</summary>
    /// <param name="Reject">llhttp reported an error (its callback pausing, codes 21-23, is not counted).</param>
    /// <param name="Messages">When llhttp accepts: the messages it reported; a null member is not compared.</param>
    internal sealed record Case(string Id, string Group, Http1Corpus.CaseSource Source, string Type, bool Reject,
        string? Input = null, string? InputBase64 = null, string? LlhttpError = null, List<ExpectedMessage>? Messages = null)
    {
        public override string ToString() => Id;

        public byte[] Bytes => InputBase64 is not null ? Convert.FromBase64String(InputBase64) : Encoding.UTF8.GetBytes(Input!);
    }

    /// <summary>
    /// A message llhttp parsed: method, target, Content-Length and fields as [name, value] (a value llhttp printed
    /// escaped, i.e. with non-printable bytes, is null and compared by presence only; values are trimmed of SP/HTAB).
    /// </summary>
    internal sealed record ExpectedMessage(string? Method, string? Target, long? ContentLength, List<string?[]> Headers);

    private static readonly Lazy<List<Case>> AllCases = new(() => Http1Corpus.ReadCases<Case>("llhttp-requests.jsonl"));

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
        Assert.True(AllCases.Value.Count(c => c.Type == "request" && c.Reject) > 30);
    }

    [Theory]
    [MemberData(nameof(RequestCases))]
    public void Parse_LlhttpRequestCase_AgreesOnValidity(string name)
    {
        Case c = Find(name);
        var outcome = Http1Corpus.Run(c.Bytes);
        output.WriteLine(Http1Corpus.Describe(outcome));
        if (c.Reject)
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
        CheckMessages(c, outcome);
    }

    [Theory]
    [MemberData(nameof(LenientCases))]
    public void Parse_LlhttpLenientCase_RejectedByStrictParser(string name)
    {
        Case c = Find(name);
        var outcome = Http1Corpus.Run(c.Bytes);
        output.WriteLine(Http1Corpus.Describe(outcome));
        if (LenientAccepted.TryGetValue(name, out string? reason))
        {
            Assert.False(outcome.Rejected, $"allow-listed as valid ({reason}) but we: {Http1Corpus.Describe(outcome)}");
            return;
        }
        Assert.True(outcome.Rejected || outcome.DataAfterClose, $"needs an llhttp leniency; we: {Http1Corpus.Describe(outcome)}");
    }

    /// <summary>Compares each message with llhttp's: method, target, field names and values, Content-Length.</summary>
    private static void CheckMessages(Case c, Http1Corpus.Outcome outcome)
    {
        var expected = c.Messages ?? throw new InvalidDataException($"{c.Id}: accepted case without messages");
        Assert.True(outcome.Messages.Count >= expected.Count(m => m.Method is not null) || outcome.Incomplete,
            $"expected {expected.Count} messages, parsed {outcome.Messages.Count}");
        for (int i = 0; i < Math.Min(expected.Count, outcome.Messages.Count); i++)
        {
            var e = expected[i];
            var m = outcome.Messages[i];
            if (e.Method is not null) Assert.Equal(e.Method, m.Method);
            if (e.Target is not null) Assert.Equal(e.Target, m.Target);
            Assert.Equal(e.Headers.Count, m.Headers.Count);
            for (int h = 0; h < e.Headers.Count; h++)
            {
                Assert.Equal(e.Headers[h][0], m.Headers[h].Name, ignoreCase: true);
                if (e.Headers[h][1] is { } value)
                {
                    Assert.Equal(value, m.Headers[h].Value);
                }
            }
            if (m.ContentLength >= 0 && e.ContentLength is { } length)
            {
                Assert.Equal(length, m.ContentLength);
            }
        }
    }
}
