using FastGate.Proxy.Config;

namespace FastGate.Proxy.Tests.Config;

/// <summary>Every class of error, with the exact position a user's editor should jump to.</summary>
public class ConfigLoaderErrorTests
{
    private static string[] Errors(string text)
    {
        var result = ConfigLoader.LoadFromText(text, "test.toml");
        Assert.False(result.IsValid);
        Assert.Null(result.Model);
        return result.Errors.Select(e => e.ToString()).ToArray();
    }

    private static void AssertSingleError(string text, string expected) => Assert.Equal([expected], Errors(text));

    [Fact]
    public void UnknownKey_InRoute_ReportsKeyPositionWithSuggestion()
    {
        AssertSingleError("""
            [[listener]]
            name = "web"
            listen = "127.0.0.1:8080"

            [[route]]
            name = "api"
            cluster = "c"
            timout = "30s"

            [cluster.c]
            endpoints = ["127.0.0.1:9001"]
            """,
            "test.toml:8:1: unknown key 'timout' in [[route]]; did you mean 'timeout'?");
    }

    [Fact]
    public void UnknownKey_FarFromAnyKnown_HasNoSuggestion()
    {
        AssertSingleError("""
            [log]
              colour_scheme = "dark"
            [[listener]]
            name = "web"
            listen = "127.0.0.1:8080"
            """,
            "test.toml:2:3: unknown key 'colour_scheme' in [log]");
    }

    [Fact]
    public void UnknownTopLevelTable_IsReported()
    {
        AssertSingleError("""
            [[listener]]
            name = "web"
            listen = "127.0.0.1:8080"
            [[routes]]
            name = "x"
            """,
            "test.toml:4:3: unknown key 'routes' in the top level; did you mean 'route'?");
    }

    [Fact]
    public void WrongType_ReportsValuePosition()
    {
        AssertSingleError("""
            [[listener]]
            name = "web"
            listen = 8080
            """,
            "test.toml:3:10: expected a string for 'listen', got integer");
    }

    [Fact]
    public void WrongType_ArrayItem_ReportsItemPosition()
    {
        AssertSingleError("""
            [[listener]]
            name = "web"
            listen = "127.0.0.1:8080"
            [[route]]
            name = "r"
            cluster = "c"
            [cluster.c]
            endpoints = ["127.0.0.1:9001", 9002]
            """,
            "test.toml:8:32: expected a string in 'endpoints', got integer");
    }

    [Fact]
    public void BadDuration_ReportsValuePosition()
    {
        AssertSingleError("""
            [defaults]
            header_timeout = "10 seconds"
            [[listener]]
            name = "web"
            listen = "127.0.0.1:8080"
            """,
            "test.toml:2:18: invalid duration '10 seconds': unexpected ' ' for 'header_timeout'");
    }

    [Fact]
    public void DurationAsInteger_ReportsTypeError()
    {
        AssertSingleError("""
            [defaults]
            idle_timeout = 60
            [[listener]]
            name = "web"
            listen = "127.0.0.1:8080"
            """,
            "test.toml:2:16: expected a duration string like \"10s\" for 'idle_timeout', got integer");
    }

    [Fact]
    public void BadSize_ReportsValuePosition()
    {
        AssertSingleError("""
            [[listener]]
            name = "web"
            listen = "127.0.0.1:8080"
            max_header_bytes = "32kb"
            """,
            "test.toml:4:20: invalid size '32kb': unknown unit 'kb' (use B, KiB, MiB, GiB, KB, MB or GB) for 'max_header_bytes'");
    }

    [Fact]
    public void BadAddress_ReportsValuePosition()
    {
        AssertSingleError("""
            [[listener]]
            name = "web"
            listen = "127.0.0.1:99999"
            """,
            "test.toml:3:10: invalid address '127.0.0.1:99999': port must be between 1 and 65535 for 'listen'");
    }

    [Fact]
    public void ListenOnHostName_IsRejected()
    {
        AssertSingleError("""
            [[listener]]
            name = "web"
            listen = "example.com:80"
            """,
            "test.toml:3:10: 'example.com' in 'example.com:80' is not an IP address; a listen address must be an IP address or 'localhost' for 'listen'");
    }

    [Fact]
    public void MissingCluster_ReportsRouteClusterValue()
    {
        AssertSingleError("""
            [[listener]]
            name = "web"
            listen = "127.0.0.1:8080"
            [[route]]
            name = "api"
            cluster = "backnd"
            [cluster.backend]
            endpoints = ["127.0.0.1:9001"]
            """,
            "test.toml:6:11: route 'api' names cluster 'backnd' which is not defined");
    }

    [Fact]
    public void MissingRequiredKey_ReportsTableHeader()
    {
        AssertSingleError("""
            [[listener]]
            name = "web"
            listen = "127.0.0.1:8080"

            [[route]]
            name = "api"
            """,
            "test.toml:5:1: missing required key 'cluster' in [[route]]");
    }

    [Fact]
    public void DuplicateListenerName_ReportsSecondOne()
    {
        AssertSingleError("""
            [[listener]]
            name = "web"
            listen = "127.0.0.1:8080"
            [[listener]]
            name = "web"
            listen = "127.0.0.1:8081"
            """,
            "test.toml:5:8: duplicate listener name 'web' (first defined at line 2)");
    }

    [Fact]
    public void DuplicateRouteName_ReportsSecondOne()
    {
        AssertSingleError("""
            [[listener]]
            name = "web"
            listen = "127.0.0.1:8080"
            [[route]]
            name = "r"
            cluster = "c"
            [[route]]
            name = "r"
            cluster = "c"
            [cluster.c]
            endpoints = ["127.0.0.1:9001"]
            """,
            "test.toml:8:8: duplicate route name 'r' (first defined at line 5)");
    }

    [Fact]
    public void SameListenAddressTwice_ReportsSecondOne()
    {
        AssertSingleError("""
            [[listener]]
            name = "a"
            listen = "0.0.0.0:8080"
            [[listener]]
            name = "b"
            listen = "127.0.0.1:8080"
            """,
            "test.toml:6:10: listener 'b' listens on 127.0.0.1:8080, which listener 'a' already uses");
    }

    [Fact]
    public void TwoPathKinds_ReportsSecondKey()
    {
        AssertSingleError("""
            [[listener]]
            name = "web"
            listen = "127.0.0.1:8080"
            [[route]]
            name = "r"
            path = "/a"
            path_prefix = "/b/"
            cluster = "c"
            [cluster.c]
            endpoints = ["127.0.0.1:9001"]
            """,
            "test.toml:7:1: 'path_prefix' conflicts with 'path': a route takes only one of 'path', 'path_prefix' and 'path_regex'");
    }

    [Fact]
    public void BadRegex_ReportsValuePosition()
    {
        var errors = Errors("""
            [[listener]]
            name = "web"
            listen = "127.0.0.1:8080"
            [[route]]
            name = "r"
            path_regex = "^/(v[0-9]+"
            cluster = "c"
            [cluster.c]
            endpoints = ["127.0.0.1:9001"]
            """);

        var error = Assert.Single(errors);
        Assert.StartsWith("test.toml:6:14: invalid regex for 'path_regex': ", error);
    }

    [Theory]
    [InlineData("/pub/../admin", "/admin")]
    [InlineData("/%7Euser/", "/~user/")]
    [InlineData("/a%2fb", "/a%2Fb")]
    [InlineData("/api/./v1", "/api/v1")]
    public void PathNotNormalized_NeverMatches_ReportsTheNormalizedForm(string path, string normalized)
    {
        AssertSingleError($$"""
            [[listener]]
            name = "web"
            listen = "127.0.0.1:8080"
            [[route]]
            name = "r"
            path_prefix = "{{path}}"
            cluster = "c"
            [cluster.c]
            endpoints = ["127.0.0.1:9001"]
            """,
            $"test.toml:6:15: 'path_prefix' = '{path}' never matches: request paths are normalized before routing; write '{normalized}'");
    }

    [Fact]
    public void PathWithBadPercentEncoding_ReportsValuePosition()
    {
        AssertSingleError("""
            [[listener]]
            name = "web"
            listen = "127.0.0.1:8080"
            [[route]]
            name = "r"
            path = "/a%zz"
            cluster = "c"
            [cluster.c]
            endpoints = ["127.0.0.1:9001"]
            """,
            "test.toml:6:8: 'path' has a '%' not followed by two hex digits: '/a%zz'");
    }

    [Fact]
    public void PathWithoutSlash_ReportsValuePosition()
    {
        AssertSingleError("""
            [[listener]]
            name = "web"
            listen = "127.0.0.1:8080"
            [[route]]
            name = "r"
            path_prefix = "api/"
            cluster = "c"
            [cluster.c]
            endpoints = ["127.0.0.1:9001"]
            """,
            "test.toml:6:15: 'path_prefix' must start with '/', got 'api/'");
    }

    [Fact]
    public void NonLoopbackAdminWithoutToken_ReportsListenValue()
    {
        AssertSingleError("""
            [admin]
            listen = "0.0.0.0:9901"
            [[listener]]
            name = "web"
            listen = "127.0.0.1:8080"
            """,
            "test.toml:2:10: admin listen address '0.0.0.0:9901' is not a loopback address: set 'token' in [admin] (e.g. token = \"env:FASTGATE_ADMIN_TOKEN\")");
    }

    [Fact]
    public void MissingEnvSecret_ReportsTokenValue()
    {
        AssertSingleError("""
            [admin]
            token = "env:FASTGATE_TEST_UNSET_5D2B"
            [[listener]]
            name = "web"
            listen = "127.0.0.1:8080"
            """,
            "test.toml:2:9: environment variable 'FASTGATE_TEST_UNSET_5D2B' is not set for 'token'");
    }

    [Fact]
    public void TcpListenerWithoutCluster_ReportsTableHeader()
    {
        AssertSingleError("""
            [[listener]]
            name = "db"
            listen = "127.0.0.1:5432"
            protocol = "tcp"
            """,
            "test.toml:1:1: listener 'db' with protocol 'tcp' requires 'cluster'");
    }

    [Fact]
    public void HttpListenerWithCluster_IsRejected()
    {
        AssertSingleError("""
            [[listener]]
            name = "web"
            listen = "127.0.0.1:8080"
            cluster = "c"
            [cluster.c]
            endpoints = ["127.0.0.1:9001"]
            """,
            "test.toml:4:11: 'cluster' is only for tcp and tls-passthrough listeners; http listeners pick a cluster per [[route]]");
    }

    [Fact]
    public void RouteOnTcpListener_IsRejected()
    {
        AssertSingleError("""
            [[listener]]
            name = "db"
            listen = "127.0.0.1:5432"
            protocol = "tcp"
            cluster = "c"
            [[route]]
            name = "r"
            listener = ["db"]
            cluster = "c"
            [cluster.c]
            endpoints = ["127.0.0.1:9001"]
            """,
            "test.toml:8:13: route 'r' names listener 'db' which is a tcp listener; routes apply to http listeners only");
    }

    [Fact]
    public void BadChoice_ListsAllowedValues()
    {
        AssertSingleError("""
            [[listener]]
            name = "web"
            listen = "127.0.0.1:8080"
            [cluster.c]
            endpoints = ["127.0.0.1:9001"]
            lb = "roundrobin"
            """,
            "test.toml:6:6: invalid value 'roundrobin' for 'lb'; did you mean 'round_robin'? expected one of: round_robin, weighted_round_robin, least_request, p2c, ring_hash, maglev, random, peak_ewma");
    }

    [Fact]
    public void BadChoice_FarFromAny_ListsAllowedValuesOnly()
    {
        AssertSingleError("""
            [[listener]]
            name = "web"
            listen = "127.0.0.1:8080"
            [cluster.c]
            endpoints = ["127.0.0.1:9001"]
            lb = "fastest"
            """,
            "test.toml:6:6: invalid value 'fastest' for 'lb'; expected one of: round_robin, weighted_round_robin, least_request, p2c, ring_hash, maglev, random, peak_ewma");
    }

    [Fact]
    public void BadChoice_LogLevelAndProtocol_SuggestClosest()
    {
        Assert.Equal(
            [
                "test.toml:2:9: invalid value 'Debug' for 'level'; did you mean 'debug'? expected one of: error, warn, info, debug",
                "test.toml:6:12: invalid value 'htp' for 'protocol'; did you mean 'http'? expected one of: http, tcp, tls-passthrough",
            ],
            Errors("""
                [log]
                level = "Debug"
                [[listener]]
                name = "web"
                listen = "127.0.0.1:8080"
                protocol = "htp"
                """));
    }

    [Fact]
    public void EndpointsAsString_ReportsValuePosition()
    {
        AssertSingleError("""
            [[listener]]
            name = "web"
            listen = "127.0.0.1:8080"
            [cluster.c]
            endpoints = "127.0.0.1:9001"
            """,
            "test.toml:5:13: expected an array of addresses for 'endpoints', got string");
    }

    [Fact]
    public void ClusterWithoutEndpoints_ReportsClusterHeader()
    {
        AssertSingleError("""
            [[listener]]
            name = "web"
            listen = "127.0.0.1:8080"
            [cluster.empty]
            lb = "random"
            """,
            "test.toml:4:1: cluster 'empty' has no endpoints: set 'endpoints' or add [[cluster.empty.endpoint]]");
    }

    [Fact]
    public void EndpointWeightZero_IsRejected()
    {
        AssertSingleError("""
            [[listener]]
            name = "web"
            listen = "127.0.0.1:8080"
            [[cluster.c.endpoint]]
            address = "127.0.0.1:9001"
            weight = 0
            """,
            "test.toml:6:10: 'weight' must be between 1 and 10000, got 0");
    }

    [Fact]
    public void WildcardInsideHost_IsRejected()
    {
        AssertSingleError("""
            [[listener]]
            name = "web"
            listen = "127.0.0.1:8080"
            [[route]]
            name = "r"
            host = ["ok.example.com", "api.*.example.com"]
            cluster = "c"
            [cluster.c]
            endpoints = ["127.0.0.1:9001"]
            """,
            "test.toml:6:27: invalid host 'api.*.example.com': a wildcard is allowed only as a leading '*.'");
    }

    [Fact]
    public void MissingTlsFile_ReportsValuePosition()
    {
        var errors = Errors("""
            [[listener]]
            name = "web"
            listen = "127.0.0.1:8443"
            [listener.tls]
            cert = "no-such-cert-3b1f.pem"
            key = "no-such-key-3b1f.pem"
            """);

        Assert.Equal(2, errors.Length);
        Assert.StartsWith("test.toml:5:8: file not found for 'cert': ", errors[0]);
        Assert.StartsWith("test.toml:6:7: file not found for 'key': ", errors[1]);
    }

    [Fact]
    public void NoListener_IsReported()
    {
        AssertSingleError("""
            [log]
            level = "info"
            """,
            "test.toml:1:1: no [[listener]] defined: at least one is required");
    }

    [Fact]
    public void TomlSyntaxError_ReportsTomlynPosition()
    {
        var errors = Errors("""
            [[listener]]
            name = "web
            listen = "127.0.0.1:8080"
            """);

        Assert.Equal("test.toml:2:12: Invalid newline in a string", Assert.Single(errors));
    }

    [Fact]
    public void TomlDuplicateKey_IsReported()
    {
        var errors = Errors("""
            [[listener]]
            name = "web"
            name = "web2"
            listen = "127.0.0.1:8080"
            """);

        Assert.StartsWith("test.toml:3:1: ", Assert.Single(errors));
    }

    [Fact]
    public void MultipleErrors_AreAllReportedInFileOrder()
    {
        var errors = Errors("""
            [admin]
            listen = "0.0.0.0:9901"

            [defaults]
            header_timeout = "10"

            [[listener]]
            name = "web"
            listen = "127.0.0.1:8080"
            protocl = "http"

            [[route]]
            name = "api"
            path = "/a"
            path_regex = "("
            cluster = "missing"

            [cluster.c]
            endpoints = ["nohost"]
            """);

        Assert.Equal(
        [
            "test.toml:2:10: admin listen address '0.0.0.0:9901' is not a loopback address: set 'token' in [admin] (e.g. token = \"env:FASTGATE_ADMIN_TOKEN\")",
            "test.toml:5:18: invalid duration '10': missing unit (use ms, s, m or h) for 'header_timeout'",
            "test.toml:10:1: unknown key 'protocl' in [[listener]]; did you mean 'protocol'?",
            "test.toml:15:1: 'path_regex' conflicts with 'path': a route takes only one of 'path', 'path_prefix' and 'path_regex'",
            "test.toml:16:11: route 'api' names cluster 'missing' which is not defined",
            "test.toml:19:14: invalid address 'nohost': missing port (expected host:port)",
        ], errors);
    }
}
