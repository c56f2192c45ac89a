using FastGate.Proxy.Config;

namespace FastGate.Proxy.Tests.Stages.Transforms;

/// <summary>Reading the route transform keys: what a good file gives, and where each mistake is reported.</summary>
public class TransformConfigTests
{
    private const string Head = """
        [cluster.c]
        endpoints = ["127.0.0.1:9001"]
        [[listener]]
        name = "web"
        listen = "127.0.0.1:8080"

        """;

    private static RouteModel Route(string route)
    {
        var result = ConfigLoader.LoadFromText(Head + "[[route]]\nname = \"r\"\n" + route, "test.toml");
        Assert.True(result.IsValid, string.Join("\n", result.Errors));
        return Assert.Single(result.Model.Routes);
    }

    private static string[] Errors(string route)
    {
        var result = ConfigLoader.LoadFromText(Head + "[[route]]\nname = \"r\"\n" + route, "test.toml");
        Assert.False(result.IsValid);
        return [.. result.Errors.Select(e => e.ToString())];
    }

    [Fact]
    public void Load_PlainRoute_HasNoTransforms()
    {
        Assert.Null(Route("cluster = \"c\"\n").Transforms);
    }

    [Fact]
    public void Load_EveryTransform_IsRead()
    {
        var route = Route("""
            cluster = "c"
            path_prefix = "/api/"
            allow = ["10.0.0.0/8", "::1"]
            deny = ["10.9.0.0/16"]
            request_id = true
            request_headers = { set = { "X-Client" = "${client_ip}" }, add = { "x-tag" = "a" }, remove = ["X-Secret"] }
            response_headers = { remove = ["server"] }
            rewrite = { prefix = "/v2/" }
            host_rewrite = "internal.example:8080"
            [route.cors]
            allow_origins = ["https://App.example", "https://*.tools.example"]
            allow_methods = ["get", "DELETE"]
            allow_headers = ["Content-Type"]
            expose_headers = ["x-request-id"]
            max_age = "10m"
            allow_credentials = true
            """);

        var t = route.Transforms!;
        Assert.Equal(["10.0.0.0/8", "::1/128"], t.Allow.Select(n => n.ToString()));
        Assert.Equal(["10.9.0.0/16"], t.Deny.Select(n => n.ToString()));
        Assert.True(t.RequestId);
        Assert.Equal([new("x-client", "${client_ip}")], t.RequestHeaders!.Set);
        Assert.Equal([new("x-tag", "a")], t.RequestHeaders.Add);
        Assert.Equal(["x-secret"], t.RequestHeaders.Remove);
        Assert.Equal(["server"], t.ResponseHeaders!.Remove);
        Assert.Equal(new PathRewriteModel { Prefix = "/v2/", MatchedPrefix = "/api/" }, t.Rewrite);
        Assert.Equal("internal.example:8080", t.HostRewrite);
        var cors = t.Cors!;
        Assert.Equal(["https://app.example", "https://*.tools.example"], cors.AllowOrigins);
        Assert.Equal(["GET", "DELETE"], cors.AllowMethods);
        Assert.Equal(["content-type"], cors.AllowHeaders);
        Assert.Equal(["x-request-id"], cors.ExposeHeaders);
        Assert.Equal(TimeSpan.FromMinutes(10), cors.MaxAge);
        Assert.True(cors.AllowCredentials);
        Assert.False(t.AnswersLocally);
    }

    [Fact]
    public void Load_Redirect_NeedsNoCluster()
    {
        var route = Route("redirect = { status = 308, location = \"https://new.example${path}${query}\" }\n");

        Assert.Equal("", route.Cluster);
        Assert.Equal(new RedirectModel { Status = 308, Location = "https://new.example${path}${query}" }, route.Transforms!.Redirect);
    }

    [Fact]
    public void Load_DirectResponse_DefaultsTheTypeOfABody()
    {
        var route = Route("""
            path = "/robots.txt"
            direct_response = { body = "User-agent: *\nDisallow: /\n" }
            response_headers = { set = { "cache-control" = "max-age=3600" } }
            """);

        Assert.Equal("", route.Cluster);
        Assert.Equal(new DirectResponseModel { Status = 200, Body = "User-agent: *\nDisallow: /\n", ContentType = "text/plain; charset=utf-8" }, route.Transforms!.DirectResponse);
    }

    [Fact]
    public void Load_RegexRewriteOnARegexRoute_IsRead()
    {
        var route = Route("cluster = \"c\"\npath_regex = \"^/v1/\"\nrewrite = { regex = \"^/v1/(.*)$\", replacement = \"/api/$1\" }\n");

        Assert.Equal(new PathRewriteModel { Regex = "^/v1/(.*)$", Replacement = "/api/$1" }, route.Transforms!.Rewrite);
    }

    [Theory]
    // Line 9 is the first line after name = "r".
    [InlineData("cluster = \"c\"\nrequest_headers = { set = { \"x-a\" = \"${clientip}\" } }\n",
        "test.toml:9:37: header 'x-a': unknown variable '${clientip}' in '${clientip}'; did you mean '${client_ip}'?")]
    [InlineData("cluster = \"c\"\nrequest_headers = { set = { \"content-length\" = \"1\" } }\n",
        "test.toml:9:29: 'request_headers' cannot change 'content-length': the proxy writes it for each connection")]
    [InlineData("cluster = \"c\"\nrequest_headers = { remove = [\"host\"] }\n",
        "test.toml:9:31: 'request_headers' cannot change 'host'; use 'host_rewrite'")]
    [InlineData("cluster = \"c\"\nrequest_headers = { sett = { \"x\" = \"1\" } }\n",
        "test.toml:9:21: unknown key 'sett' in 'request_headers'; did you mean 'set'?")]
    [InlineData("cluster = \"c\"\nresponse_headers = { add = { \"x\" = 1 } }\n",
        "test.toml:9:36: expected a string for header 'x', got integer")]
    [InlineData("cluster = \"c\"\nallow = [\"10.0.0.1/8\"]\n",
        "test.toml:9:10: '10.0.0.1/8' has bits set past the /8 prefix; write the network address (e.g. 10.0.0.0/8) or a /32 for one host in 'allow'")]
    [InlineData("cluster = \"c\"\ndeny = \"10.0.0.0/8\"\n",
        "test.toml:9:8: expected an array of addresses or CIDR blocks for 'deny', got string")]
    [InlineData("cluster = \"c\"\nrequest_id = \"yes\"\n",
        "test.toml:9:14: expected a boolean for 'request_id', got string")]
    [InlineData("cluster = \"c\"\nrewrite = { prefix = \"v2/\" }\n",
        "test.toml:9:22: 'prefix' must be a path starting with '/' (no query, spaces or controls), got 'v2/'")]
    [InlineData("cluster = \"c\"\npath_regex = \"^/a\"\nrewrite = { prefix = \"/b/\" }\n",
        "test.toml:10:22: 'rewrite' with 'prefix' replaces a matched 'path_prefix' or 'path'; this route matches 'path_regex': use 'regex' and 'replacement'")]
    [InlineData("cluster = \"c\"\nrewrite = { regex = \"^/(a\", replacement = \"/$1\" }\n",
        "test.toml:9:21: invalid regex for 'rewrite': Invalid pattern '^/(a' at offset 4. Not enough )'s.")]
    [InlineData("cluster = \"c\"\nrewrite = { regex = \"^/a\" }\n",
        "test.toml:9:11: missing required key 'replacement' in 'rewrite'")]
    [InlineData("cluster = \"c\"\nrewrite = { regex = \"^/a\", replacement = \"/b?x=1\" }\n",
        "test.toml:9:42: 'replacement' must be path text (no query, spaces or controls), got '/b?x=1'")]
    [InlineData("cluster = \"c\"\nrewrite = { }\n",
        "test.toml:9:11: 'rewrite' takes either 'prefix' or 'regex' (with 'replacement')")]
    [InlineData("cluster = \"c\"\npath_prefix = \"/a/\"\nstrip_prefix = \"/a\"\nrewrite = { prefix = \"/b/\" }\n",
        "test.toml:10:1: 'strip_prefix' conflicts with 'rewrite': write the whole new prefix in 'rewrite'")]
    [InlineData("cluster = \"c\"\nhost_rewrite = \"a b\"\n",
        "test.toml:9:16: invalid 'host_rewrite' 'a b': use host or host:port")]
    [InlineData("redirect = { status = 200, location = \"/x\" }\n",
        "test.toml:8:23: 'status' of 'redirect' must be 301, 302, 303, 307 or 308, got 200")]
    [InlineData("redirect = { status = 301 }\n",
        "test.toml:8:12: missing required key 'location' in 'redirect'")]
    [InlineData("redirect = { location = \"https://x${uri}\" }\n",
        "test.toml:8:25: 'location': unknown variable '${uri}' in 'https://x${uri}'; known: client_ip, consumer, route, request_id, host, path, query, method")]
    [InlineData("cluster = \"c\"\nredirect = { location = \"/x\" }\n",
        "test.toml:8:1: 'cluster' conflicts with 'redirect': a route that answers itself sends nothing upstream")]
    [InlineData("direct_response = { body = \"a\" }\nredirect = { location = \"/x\" }\n",
        "test.toml:9:1: 'redirect' conflicts with 'direct_response': a route that answers itself sends nothing upstream")]
    [InlineData("direct_response = { status = 204, body = \"a\" }\n",
        "test.toml:8:35: a 204 response has no body (RFC 9110 §15.3.5, §15.4.5)")]
    [InlineData("direct_response = { status = 99 }\n",
        "test.toml:8:30: 'status' must be between 200 and 599, got 99")]
    [InlineData("direct_response = { body = \"a\" }\nrewrite = { prefix = \"/b/\" }\n",
        "test.toml:9:1: 'rewrite' conflicts with 'direct_response': a route that answers itself sends nothing upstream")]
    [InlineData("cluster = \"c\"\n[route.cors]\nallow_origins = [\"*\"]\nallow_credentials = true\n",
        "test.toml:10:18: allow_origins '*' cannot go with allow_credentials = true: browsers refuse credentials for any origin; list the origins")]
    [InlineData("cluster = \"c\"\n[route.cors]\nallow_origins = [\"https://app.example/\"]\n",
        "test.toml:10:18: invalid origin 'https://app.example/': write scheme://host[:port] without a path, e.g. \"https://app.example.com\" or \"https://*.example.com\"")]
    [InlineData("cluster = \"c\"\n[route.cors]\nallow_methods = [\"GET\"]\n",
        "test.toml:9:1: missing required key 'allow_origins' in [route.cors]")]
    [InlineData("cluster = \"c\"\n[route.cors]\nallow_origins = [\"*\"]\nmax_age = 600\n",
        "test.toml:11:11: expected a duration string like \"10s\" for 'max_age', got integer")]
    [InlineData("cluster = \"c\"\n[route.cors]\nallow_origins = [\"*\"]\nallow_origin = [\"*\"]\n",
        "test.toml:11:1: unknown key 'allow_origin' in [route.cors]; did you mean 'allow_origins'?")]
    public void Load_BadTransform_IsReportedAtItsPosition(string route, string expected)
    {
        Assert.Equal([expected], Errors(route));
    }

    [Fact]
    public void Load_ShippedExample_HasEveryKindOfTransform()
    {
        var root = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(root, "FastGate.sln")))
        {
            root = Path.GetDirectoryName(root) ?? throw new InvalidOperationException("FastGate.sln not found");
        }

        var result = ConfigLoader.Load(Path.Combine(root, "configs", "examples", "transforms.toml"));

        Assert.True(result.IsValid, string.Join("\n", result.Errors));
        var routes = result.Model.Routes.ToDictionary(r => r.Name);
        Assert.NotNull(routes["api"].Transforms!.Cors);
        Assert.NotNull(routes["v1"].Transforms!.Rewrite!.Regex);
        Assert.NotEmpty(routes["ops"].Transforms!.Deny);
        Assert.Equal("", routes["old-docs"].Cluster);
        Assert.Equal("", routes["ping"].Cluster);
    }

    [Fact]
    public void Build_EveryTransform_StagesInTheDocumentedOrder()
    {
        var route = Route("""
            cluster = "c"
            path_prefix = "/api/"
            request_headers = { set = { "x-a" = "1" } }
            response_headers = { set = { "x-b" = "2" } }
            rewrite = { prefix = "/v2/" }
            host_rewrite = "internal.example"
            request_id = true
            deny = ["10.9.0.0/16"]
            [route.cors]
            allow_origins = ["*"]
            """);
        var config = ConfigLoader.LoadFromText(Head + "[[route]]\nname = \"r\"\ncluster = \"c\"\n", "test.toml").Model!;

        var chain = FastGate.Proxy.Stages.RouteStages.Build(route, config, TestExchange.Services());

        Assert.Equal(
            ["address_rules", "cors", "request_id", "request_headers", "response_headers", "rewrite", "host_rewrite"],
            chain.Stages.Select(s => s.Name));
        Assert.True(chain.HasResponseHead);
    }
}

