using System.Text;
using FastGate.Core.Http;
using Xunit.Abstractions;

namespace FastGate.Core.Tests.Http1;

/// <summary>
/// AWS http-desync-guardian classifications and defparam/smuggler Transfer-Encoding gadgets (TestData/http-desync-guardian.jsonl
/// and TestData/smuggler-te-gadgets.jsonl): Severe must be rejected, Compliant/Acceptable must parse unless listed, and no gadget may pass
/// with a body length the back end could read differently.
/// </summary>
public class DesyncCorpusTests(ITestOutputHelper output)
{
    /// <summary>Compliant/Acceptable cases we reject on purpose, each with the reason.</summary>
    private static readonly Dictionary<string, string> GuardianRejectedDeliberately = new()
    {
        ["acceptable: Non-RFC, but OK HTTP/0.9"] = "HTTP/0.9 is not served",
        ["acceptable: Empty version, which means HTTP/0.9"] = "HTTP/0.9 is not served",
        ["acceptable: Unknown but OK HTTP/1.2"] = "only HTTP/1.0 and HTTP/1.1 are served (505)",
        ["acceptable: A non-essential header with a non-printable character (x01)"] = "control bytes in any field value are rejected (RFC 9110 section 5.5)",
        ["acceptable: No TE/CL headers, some others are non-compliant"] = "non-compliant field lines are rejected, whatever the field",
        ["acceptable: TE and some others are non-compliant"] = "non-compliant field lines are rejected, whatever the field",
        ["acceptable: CL and some others are non-compliant"] = "non-compliant field lines are rejected, whatever the field",
        ["more-compliant-tests: Transfer-Encoding: identity and chunked OK"] = "requests may use only the chunked coding",
        ["more-compliant-tests: Multiple transfer encoding headers in a single request OK"] = "requests may use only one Transfer-Encoding: chunked",
        ["more-compliant-tests: TE with custom parameters OK"] = "a parameter on a coding is not the canonical chunked",
        ["rfc-compliant: Different Transfer-Encoding headers"] = "requests may use only one Transfer-Encoding: chunked",
        ["rfc-compliant: Different Transfer-Encoding headers combined"] = "requests may use only the chunked coding",
        ["rfc-compliant: Transfer-Encoding with a param: chunked;custom_param"] = "a parameter on chunked is not the canonical form",
        ["rfc-compliant: Compliant URL"] = "the target contains a '#' fragment, which is never part of a request-target (RFC 9112 section 3.2)",
        ["rfc-compliant: International in URI"] = "non-ASCII bytes in the target are rejected; clients percent-encode them (RFC 3986 section 2.1)",
        ["more-compliant-tests: Correct TE OK"] = "requests may use only the chunked coding (here gzip, chunked)",
        ["bad-header-characters: Some-Header\\x01"] = "a control byte in a field name is never a token (RFC 9110 section 5.1)",
        ["bad-header-characters: \\x01Some-Header"] = "a control byte in a field name is never a token",
        ["bad-header-characters: Some-Header: \\x01value"] = "control bytes in any field value are rejected (RFC 9110 section 5.5)",
        ["bad-header-characters: Some-Header: value\\x01"] = "control bytes in any field value are rejected (RFC 9110 section 5.5)",
        ["uri-specific-test-cases: [space] in URI"] = "exactly one SP separates the request-line parts (RFC 9112 section 3)",
        ["uri-specific-test-cases: Extra spaces in version"] = "exactly one SP separates the request-line parts (RFC 9112 section 3)",
        ["rfc-compliant: Empty URI"] = "an empty request-target is not origin-form (RFC 9112 section 3.2)",
    };

    /// <summary>
    /// One case of http-desync-guardian.jsonl: the request as upstream builds it, as text (upstream sends its UTF-8
    /// bytes; the Severe and Ambiguous tests also send the one-byte Latin-1 form), and its tier: Severe, Ambiguous,
    /// Acceptable or Compliant.
    /// </summary>
    internal sealed record GuardianCase(string Id, string Group, Http1Corpus.CaseSource Source, string Request, string Tier)
    {
        public byte[] Build(Encoding encoding) => encoding.GetBytes(Request);
    }

    private static readonly Lazy<List<GuardianCase>> Guardian = new(() => Http1Corpus.ReadCases<GuardianCase>("http-desync-guardian.jsonl"));

    private static TheoryData<string> GuardianNames(params string[] tiers)
    {
        var data = new TheoryData<string>();
        foreach (var c in Guardian.Value.Where(c => tiers.Contains(c.Tier)))
        {
            data.Add(c.Id);
        }
        return data;
    }

    public static TheoryData<string> SevereCases() => GuardianNames("Severe");
    public static TheoryData<string> AmbiguousCases() => GuardianNames("Ambiguous");
    public static TheoryData<string> CompliantCases() => GuardianNames("Compliant", "Acceptable");

    private static GuardianCase FindGuardian(string key) => Guardian.Value.Single(c => c.Id == key);

    /// <summary>Latin-1 can only encode code points up to U+00FF; wider text is sent only as UTF-8.</summary>
    private static IEnumerable<(string Name, byte[] Bytes)> Encodings(Func<Encoding, byte[]> build, string text)
    {
        yield return ("utf-8", build(Encoding.UTF8));
        if (text.All(ch => ch <= 0xFF))
        {
            yield return ("latin-1", build(Encoding.Latin1));
        }
    }

    [Fact]
    public void Load_Guardian_HasAllTiers()
    {
        Assert.Equal(159, Guardian.Value.Count);
        Assert.Equal(27, Guardian.Value.Count(c => c.Tier == "Severe" && c.Group == "severe"));
    }

    [Theory]
    [MemberData(nameof(SevereCases))]
    public void Parse_GuardianSevere_Rejected(string key)
    {
        var c = FindGuardian(key);
        foreach (var (encoding, bytes) in Encodings(c.Build, c.Request))
        {
            // Also with a Host added, so the rejection never rests on the missing Host alone.
            var outcome = Http1Corpus.Run(bytes);
            output.WriteLine($"{encoding}: {Http1Corpus.Describe(outcome)}");
            Assert.True(outcome.Rejected, $"{encoding}: {Http1Corpus.Describe(outcome)}");
        }
    }

    [Theory]
    [MemberData(nameof(AmbiguousCases))]
    public void Parse_GuardianAmbiguous_RejectedOrUnambiguous(string key)
    {
        var c = FindGuardian(key);
        foreach (var (encoding, bytes) in Encodings(c.Build, c.Request))
        {
            var outcome = Http1Corpus.Run(bytes);
            output.WriteLine($"{encoding}: {Http1Corpus.Describe(outcome)}");
            if (!outcome.Rejected)
            {
                AssertNoFramingConfusion(outcome);
            }
        }
    }

    [Theory]
    [MemberData(nameof(CompliantCases))]
    public void Parse_GuardianCompliant_Accepted(string key)
    {
        var c = FindGuardian(key);
        var outcome = Http1Corpus.Run(c.Build(Encoding.UTF8));
        output.WriteLine(Http1Corpus.Describe(outcome));
        if (GuardianRejectedDeliberately.TryGetValue(key, out string? reason))
        {
            Assert.True(outcome.Rejected, $"allow-listed as rejected ({reason}) but we: {Http1Corpus.Describe(outcome)}");
            return;
        }
        Assert.False(outcome.Rejected, Http1Corpus.Describe(outcome));
        Assert.Single(outcome.Messages);
    }

    /// <summary>
    /// An accepted request carries no second opinion about its length: no field that a lenient back end could take
    /// for Transfer-Encoding or Content-Length (names compared after dropping case, '_' and surrounding bytes).
    /// </summary>
    private static void AssertNoFramingConfusion(Http1Corpus.Outcome outcome)
    {
        foreach (var m in outcome.Messages)
        {
            Assert.False(m.IsChunked && m.ContentLength >= 0);
            foreach (var (name, _) in m.Headers)
            {
                string folded = new string(name.Where(char.IsAsciiLetter).ToArray()).ToLowerInvariant();
                bool isTe = name.Equals("Transfer-Encoding", StringComparison.OrdinalIgnoreCase);
                bool isCl = name.Equals("Content-Length", StringComparison.OrdinalIgnoreCase);
                Assert.False(folded == "transferencoding" && !isTe, $"look-alike Transfer-Encoding field '{name}' forwarded");
                Assert.False(folded == "contentlength" && !isCl, $"look-alike Content-Length field '{name}' forwarded");
            }
        }
    }

    /// <summary>One case of smuggler-te-gadgets.jsonl: header line(s), without the final CRLF, obfuscating "Transfer-Encoding: chunked".</summary>
    internal sealed record SmugglerGadget(int Id, Http1Corpus.CaseSource Source, string Gadget);

    /// <summary>smuggler's request template (configs/*.py), with POST as the method.</summary>
    private const string SmugglerTemplate =
        "POST /path HTTP/1.1\r\n<gadget>\r\nHost: smuggler.test\r\nUser-Agent: ...\r\nContent-type: application/x-www-form-urlencoded; charset=UTF-8\r\nContent-Length: N\r\n\r\n<body>";

    private static readonly Lazy<List<SmugglerGadget>> Smuggler = new(() => Http1Corpus.ReadCases<SmugglerGadget>("smuggler-te-gadgets.jsonl"));

    public static TheoryData<int, string> SmugglerGadgets()
    {
        var data = new TheoryData<int, string>();
        var gadgets = Smuggler.Value;
        for (int i = 0; i < gadgets.Count; i++)
        {
            data.Add(i, gadgets[i].Source.Case);
        }
        return data;
    }

    [Fact]
    public void Load_Smuggler_Has741Gadgets() => Assert.Equal(741, Smuggler.Value.Count);

    [Theory]
    [MemberData(nameof(SmugglerGadgets))]
    public void Parse_SmugglerGadget_RejectedOrNoTransferEncodingConfusion(int index, string names)
    {
        var gadget = Smuggler.Value[index];
        // A body that is a complete chunked body and also has a declared Content-Length: the classic CL.TE probe.
        const string body = "1\r\nZ\r\n0\r\n\r\n";
        string request = SmugglerTemplate
            .Replace("<gadget>", gadget.Gadget, StringComparison.Ordinal)
            .Replace("Content-Length: N", "Content-Length: " + body.Length, StringComparison.Ordinal)
            .Replace("<body>", body, StringComparison.Ordinal);
        foreach (var (encoding, bytes) in Encodings(e => e.GetBytes(request), request))
        {
            var outcome = Http1Corpus.Run(bytes, injectHost: false);
            output.WriteLine($"{names} {encoding}: {Http1Corpus.Describe(outcome)}");
            if (outcome.Rejected)
            {
                continue;
            }
            // Accepted: the canonical Transfer-Encoding would have met the Content-Length and been rejected, so the
            // request must be framed by Content-Length alone and forward no look-alike of either field.
            var m = Assert.Single(outcome.Messages);
            Assert.False(m.IsChunked);
            Assert.Equal(body.Length, m.ContentLength);
            AssertNoFramingConfusion(outcome);
        }
    }
}
