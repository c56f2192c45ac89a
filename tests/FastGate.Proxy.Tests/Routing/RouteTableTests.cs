using System.Text;
using System.Text.RegularExpressions;
using FastGate.Proxy.Config;
using FastGate.Proxy.Routing;

namespace FastGate.Proxy.Tests.Routing;

public class RouteTableTests
{
    private static readonly string[] Listeners = ["web", "internal"];

    private static RouteModel R(
        string name,
        string[]? hosts = null,
        PathMatchKind kind = PathMatchKind.Any,
        string path = "",
        string[]? methods = null,
        (string, string)[]? headers = null,
        string[]? listeners = null) => new()
        {
            Name = name,
            Cluster = "c",
            Hosts = hosts ?? [],
            PathKind = kind,
            Path = path,
            Methods = methods ?? [],
            Headers = [.. (headers ?? []).Select(h => KeyValuePair.Create(h.Item1, h.Item2))],
            Listeners = listeners ?? [],
        };

    /// <summary>
    /// Builds with Order set to the list position, as the config loader does. Regexes get no time
    /// budget: the daemon's 50 ms is wall-clock time, which a loaded test machine (or the first
    /// match compiling a compiled pattern) can spend before a long path is scanned.
    /// </summary>
    private static RouteTable Build(params RouteModel[] routes) =>
        RouteTable.Build([.. routes.Select((r, i) => r with { Order = i })], Listeners, Regex.InfiniteMatchTimeout);

    private static string? Match(
        RouteTable table, string host, string path, string method = "GET", TestHeaders? headers = null, int listener = 0)
    {
        TestHeaders h = headers ?? TestHeaders.None;
        int id = table.Match(
            listener, Encoding.ASCII.GetBytes(host), Encoding.UTF8.GetBytes(path), Encoding.ASCII.GetBytes(method), ref h);
        return id < 0 ? null : table.Routes[id].Name;
    }

    [Fact]
    public void Match_ExactHostBeforeWildcardBeforeAnyHost()
    {
        RouteTable t = Build(
            R("any"),
            R("wild", hosts: ["*.example.org"]),
            R("exact", hosts: ["api.example.org"]));

        Assert.Equal("exact", Match(t, "api.example.org", "/"));
        Assert.Equal("wild", Match(t, "www.example.org", "/"));
        Assert.Equal("any", Match(t, "other.net", "/"));
        Assert.Equal("any", Match(t, "", "/"));
    }

    [Fact]
    public void Match_Wildcard_MatchesDeeperNamesButNotTheBareSuffix()
    {
        RouteTable t = Build(R("wild", hosts: ["*.example.org"]));

        Assert.Equal("wild", Match(t, "a.example.org", "/"));
        Assert.Equal("wild", Match(t, "a.b.example.org", "/"));
        Assert.Null(Match(t, "example.org", "/"));
        Assert.Null(Match(t, "badexample.org", "/"));
        Assert.Null(Match(t, ".example.org", "/"));
    }

    [Fact]
    public void Match_Wildcard_LongestSuffixFirst()
    {
        RouteTable t = Build(
            R("short", hosts: ["*.org"]),
            R("long", hosts: ["*.example.org"]));

        Assert.Equal("long", Match(t, "a.example.org", "/"));
        Assert.Equal("short", Match(t, "a.other.org", "/"));
    }

    [Theory]
    [InlineData("API.Example.COM")]
    [InlineData("api.example.com:8080")]
    [InlineData("api.example.com.")]
    [InlineData("Api.Example.Com.:443")]
    [InlineData(" api.example.com ")]
    public void Match_HostCasePortAndTrailingDot_AreNormalised(string host)
    {
        RouteTable t = Build(R("api", hosts: ["api.example.com"]));

        Assert.Equal("api", Match(t, host, "/"));
    }

    [Fact]
    public void Match_ConfiguredHostWithCapitalsOrTrailingDot_IsNormalised()
    {
        RouteTable t = Build(R("api", hosts: ["API.example.com."]));

        Assert.Equal("api", Match(t, "api.example.com", "/"));
    }

    [Theory]
    [InlineData("[::1]:8080")]
    [InlineData("[::1]")]
    public void Match_Ipv6Literal_PortStrippedAndBracketsKept(string host)
    {
        RouteTable bracketed = Build(R("v6", hosts: ["[::1]"]));
        RouteTable bare = Build(R("v6", hosts: ["::1"]));

        Assert.Equal("v6", Match(bracketed, host, "/"));
        Assert.Equal("v6", Match(bare, host, "/"));
        Assert.Null(Match(bracketed, "[::2]:8080", "/"));
    }

    [Fact]
    public void Match_NonAsciiHost_OnlyMatchesAnyHostRoutes()
    {
        RouteTable t = Build(R("api", hosts: ["api.example.com"]), R("any"));

        Assert.Equal("any", Match(t, "äpi.example.com", "/"));
    }

    [Fact]
    public void Match_PathPrecedence_ExactThenLongestPrefixThenRegexThenAny()
    {
        RouteTable t = Build(
            R("any"),
            R("regex", kind: PathMatchKind.Regex, path: "^/api/v[0-9]+/"),
            R("short", kind: PathMatchKind.Prefix, path: "/api/"),
            R("long", kind: PathMatchKind.Prefix, path: "/api/v1/"),
            R("exact", kind: PathMatchKind.Exact, path: "/api/v1/users"));

        Assert.Equal("exact", Match(t, "h", "/api/v1/users"));
        Assert.Equal("long", Match(t, "h", "/api/v1/users/7"));
        Assert.Equal("long", Match(t, "h", "/api/v1/"));
        Assert.Equal("short", Match(t, "h", "/api/v2/x"));
        Assert.Equal("any", Match(t, "h", "/other"));
    }

    [Fact]
    public void Match_RegexBeatsAnyPath_AndPrefixBeatsRegex()
    {
        RouteTable t = Build(
            R("any"),
            R("regex", kind: PathMatchKind.Regex, path: "^/v[0-9]+/"),
            R("prefix", kind: PathMatchKind.Prefix, path: "/v1/"));

        Assert.Equal("prefix", Match(t, "h", "/v1/x"));
        Assert.Equal("regex", Match(t, "h", "/v2/x"));
        Assert.Equal("any", Match(t, "h", "/vx/"));
    }

    [Fact]
    public void Match_Prefix_IsBytewise()
    {
        RouteTable t = Build(R("api", kind: PathMatchKind.Prefix, path: "/api/"));

        Assert.Equal("api", Match(t, "h", "/api/"));
        Assert.Equal("api", Match(t, "h", "/api/x"));
        Assert.Null(Match(t, "h", "/api"));
        Assert.Null(Match(t, "h", "/API/x"));
        Assert.Null(Match(t, "h", "/ap"));
        Assert.Null(Match(t, "h", "/apix"));
    }

    [Fact]
    public void Match_Path_IsNotPercentDecoded()
    {
        RouteTable t = Build(
            R("decoded", kind: PathMatchKind.Exact, path: "/a b"),
            R("encoded", kind: PathMatchKind.Exact, path: "/a%20b"));

        Assert.Equal("encoded", Match(t, "h", "/a%20b"));
        Assert.Equal("decoded", Match(t, "h", "/a b"));
    }

    [Fact]
    public void Match_Exact_DoesNotMatchLongerOrShorterPath()
    {
        RouteTable t = Build(R("exact", kind: PathMatchKind.Exact, path: "/health"));

        Assert.Equal("exact", Match(t, "h", "/health"));
        Assert.Null(Match(t, "h", "/healthz"));
        Assert.Null(Match(t, "h", "/healt"));
        Assert.Null(Match(t, "h", "/"));
    }

    [Fact]
    public void Match_EqualSpot_FileOrderWins()
    {
        RouteTable t = Build(
            R("first", kind: PathMatchKind.Prefix, path: "/a/"),
            R("second", kind: PathMatchKind.Prefix, path: "/a/"),
            R("regex1", kind: PathMatchKind.Regex, path: "^/r"),
            R("regex2", kind: PathMatchKind.Regex, path: "^/r"),
            R("any1"),
            R("any2"));

        Assert.Equal("first", Match(t, "h", "/a/x"));
        Assert.Equal("regex1", Match(t, "h", "/r"));
        Assert.Equal("any1", Match(t, "h", "/z"));
    }

    [Fact]
    public void Match_FileOrderComesFromOrderNotListPosition()
    {
        RouteModel first = R("first", kind: PathMatchKind.Prefix, path: "/a/") with { Order = 1 };
        RouteModel second = R("second", kind: PathMatchKind.Prefix, path: "/a/") with { Order = 2 };
        RouteTable t = RouteTable.Build([second, first], Listeners);

        Assert.Equal("first", Match(t, "h", "/a/x"));
        Assert.Same(second, t.Routes[0]);
    }

    [Fact]
    public void Match_MethodFilter_FailingCandidateLetsNextTry()
    {
        RouteTable t = Build(
            R("post", kind: PathMatchKind.Prefix, path: "/api/v1/", methods: ["POST"]),
            R("get-exact", kind: PathMatchKind.Exact, path: "/api/v1/x", methods: ["GET", "HEAD"]),
            R("api", kind: PathMatchKind.Prefix, path: "/api/"));

        Assert.Equal("get-exact", Match(t, "h", "/api/v1/x", "GET"));
        Assert.Equal("get-exact", Match(t, "h", "/api/v1/x", "HEAD"));
        Assert.Equal("post", Match(t, "h", "/api/v1/x", "POST"));
        Assert.Equal("api", Match(t, "h", "/api/v1/x", "PUT"));
        Assert.Equal("api", Match(t, "h", "/api/v1/x", "get"));
    }

    [Fact]
    public void Match_HeaderFilter_ExactValueRequired()
    {
        RouteTable t = Build(
            R("canary", kind: PathMatchKind.Prefix, path: "/", headers: [("x-canary", "1"), ("x-team", "blue")]),
            R("stable", kind: PathMatchKind.Prefix, path: "/"));

        Assert.Equal("canary", Match(t, "h", "/x", headers: TestHeaders.Of(("X-Canary", " 1 "), ("x-team", "blue"))));
        Assert.Equal("stable", Match(t, "h", "/x", headers: TestHeaders.Of(("x-canary", "1"))));
        Assert.Equal("stable", Match(t, "h", "/x", headers: TestHeaders.Of(("x-canary", "10"), ("x-team", "blue"))));
        Assert.Equal("stable", Match(t, "h", "/x", headers: TestHeaders.Of(("x-canary", "1"), ("x-team", "Blue"))));
        Assert.Equal("stable", Match(t, "h", "/x"));
    }

    [Fact]
    public void Match_ListenerFilter()
    {
        RouteTable t = Build(
            R("internal-only", listeners: ["internal"]),
            R("unknown-listener", listeners: ["nope"]),
            R("web-only", listeners: ["web"]));

        Assert.Equal("web-only", Match(t, "h", "/", listener: 0));
        Assert.Equal("internal-only", Match(t, "h", "/", listener: 1));
        Assert.Null(Match(t, "h", "/", listener: 7));
    }

    [Fact]
    public void Match_ListenerIndexOutOfRange_OnlyUnfilteredRoutes()
    {
        RouteTable t = Build(R("web", listeners: ["web"]), R("all"));

        Assert.Equal("all", Match(t, "h", "/", listener: -1));
        Assert.Equal("all", Match(t, "h", "/", listener: 2));
    }

    [Fact]
    public void Match_FallsThroughToLessSpecificHostBucket()
    {
        RouteTable t = Build(
            R("api", hosts: ["api.example.org"], kind: PathMatchKind.Prefix, path: "/v1/"),
            R("wild-post", hosts: ["*.example.org"], methods: ["POST"]),
            R("catch-all", kind: PathMatchKind.Prefix, path: "/"));

        Assert.Equal("api", Match(t, "api.example.org", "/v1/x"));
        Assert.Equal("wild-post", Match(t, "api.example.org", "/other", "POST"));
        Assert.Equal("catch-all", Match(t, "api.example.org", "/other", "GET"));
    }

    [Fact]
    public void Match_RouteWithSeveralHosts_InEveryBucket()
    {
        RouteTable t = Build(R("multi", hosts: ["a.com", "*.b.com", "a.com"]));

        Assert.Equal("multi", Match(t, "a.com", "/"));
        Assert.Equal("multi", Match(t, "x.b.com", "/"));
        Assert.Null(Match(t, "c.com", "/"));
    }

    [Fact]
    public void Match_NoMatch_ReturnsMinusOne()
    {
        RouteTable t = Build(
            R("api", hosts: ["api.example.com"], kind: PathMatchKind.Prefix, path: "/api/"),
            R("regex", kind: PathMatchKind.Regex, path: "^/only$"));

        TestHeaders h = TestHeaders.None;
        Assert.Equal(-1, t.Match(0, "other.com"u8, "/api/x"u8, "GET"u8, ref h));
        Assert.Equal(-1, t.Match(0, "api.example.com"u8, "/x"u8, "GET"u8, ref h));
        Assert.Equal(-1, RouteTable.Build([], Listeners).Match(0, "a"u8, "/"u8, "GET"u8, ref h));
    }

    [Fact]
    public void Match_RegexSeesUtf8DecodedPath()
    {
        RouteTable t = Build(R("cafe", kind: PathMatchKind.Regex, path: "^/café$"));

        Assert.Equal("cafe", Match(t, "h", "/café"));
    }

    [Fact]
    public void Match_LongPathWithRegex_UsesPooledBuffer()
    {
        RouteTable t = Build(R("long", kind: PathMatchKind.Regex, path: "z$"));
        string path = "/" + new string('a', 5000) + "z";

        Assert.Equal("long", Match(t, "h", path));
        Assert.Null(Match(t, "h", path + "a"));
    }

    [Fact]
    public void Match_LongHost_DoesNotMatchShorterNames()
    {
        RouteTable t = Build(R("api", hosts: ["api.example.com"]), R("wild", hosts: ["*.example.com"]));

        Assert.Equal("wild", Match(t, new string('a', 1000) + ".example.com", "/"));
        Assert.Null(Match(t, new string('a', 1000) + ".example.net", "/"));
    }

    [Fact]
    public void Build_InvalidRegex_Throws()
    {
        Assert.ThrowsAny<ArgumentException>(() => Build(R("bad", kind: PathMatchKind.Regex, path: "(")));
    }

    [Fact]
    public void Build_100kRoutes_MatchesSample()
    {
        var routes = new List<RouteModel>(100_000);
        for (int i = 0; i < 40_000; i++)
        {
            routes.Add(R($"host{i}", hosts: [$"h{i}.example.com"], kind: PathMatchKind.Prefix, path: "/api/"));
        }

        for (int i = 0; i < 20_000; i++)
        {
            routes.Add(R($"wild{i}", hosts: [$"*.w{i}.example.net"]));
        }

        for (int i = 0; i < 20_000; i++)
        {
            routes.Add(R($"exact{i}", kind: PathMatchKind.Exact, path: $"/items/{i}"));
        }

        for (int i = 0; i < 19_995; i++)
        {
            routes.Add(R($"prefix{i}", kind: PathMatchKind.Prefix, path: $"/svc/{i}/"));
        }

        for (int i = 0; i < 5; i++)
        {
            routes.Add(R($"regex{i}", kind: PathMatchKind.Regex, path: $"^/r{i}/[a-z]+$"));
        }

        RouteTable t = Build([.. routes]);

        Assert.Equal(100_000, t.Routes.Count);
        var random = new Random(7);
        for (int n = 0; n < 200; n++)
        {
            int i = random.Next(19_995);
            Assert.Equal($"host{i}", Match(t, $"H{i}.example.com:443", "/api/users"));
            Assert.Equal($"wild{i}", Match(t, $"x.w{i}.example.net", "/anything"));
            Assert.Equal($"exact{i}", Match(t, "any.host", $"/items/{i}"));
            Assert.Equal($"prefix{i}", Match(t, "any.host", $"/svc/{i}/deep/path"));
            Assert.Null(Match(t, "any.host", $"/svc/{i}"));
            Assert.Null(Match(t, "any.host", $"/items/{i}/"));
        }

        Assert.Equal("regex3", Match(t, "any.host", "/r3/abc"));
        // An api host whose bucket has no route for the path falls through to the any-host routes.
        Assert.Equal("exact5", Match(t, "h1.example.com", "/items/5"));
        Assert.Null(Match(t, "h1.example.com", "/nothing"));
        Assert.Null(Match(t, "w1.example.net", "/"));
    }

    [Fact]
    public void Match_WildcardBucketWithoutAcceptingRoute_FallsThroughToShorterWildcard()
    {
        RouteTable t = Build(
            R("long-admin", hosts: ["*.example.org"], kind: PathMatchKind.Prefix, path: "/admin/"),
            R("short", hosts: ["*.org"]));

        Assert.Equal("long-admin", Match(t, "a.example.org", "/admin/x"));
        Assert.Equal("short", Match(t, "a.example.org", "/other"));
    }

    [Fact]
    public void Match_RefStructHeaderLookup_IsAccepted()
    {
        RouteTable t = Build(R("canary", headers: [("x-canary", "1")]), R("other"));

        var headers = new SpanHeaders("x-canary"u8, "1"u8);
        int id = t.Match(0, "h"u8, "/"u8, "GET"u8, ref headers);

        Assert.Equal("canary", t.Routes[id].Name);
    }

    /// <summary>One header field held as spans, as a parser's view over its buffer would.</summary>
    private ref struct SpanHeaders(ReadOnlySpan<byte> name, ReadOnlySpan<byte> value) : IRequestHeaderLookup
    {
        private readonly ReadOnlySpan<byte> _name = name;
        private readonly ReadOnlySpan<byte> _value = value;

        public readonly bool TryGetValue(ReadOnlySpan<byte> nameLower, out ReadOnlySpan<byte> value)
        {
            value = nameLower.SequenceEqual(_name) ? _value : default;
            return !value.IsEmpty;
        }
    }
}
