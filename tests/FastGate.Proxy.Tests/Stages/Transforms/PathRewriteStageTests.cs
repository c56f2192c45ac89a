using System.Text;
using FastGate.Proxy.Config;
using FastGate.Proxy.Stages;
using FastGate.Proxy.Stages.Transforms;

namespace FastGate.Proxy.Tests.Stages.Transforms;

public class PathRewriteStageTests
{
    private static (StageOutcome Outcome, string? Target, int Status) Run(PathRewriteModel model, string target)
    {
        var stage = new PathRewriteStage(model, TestExchange.Services());
        var exchange = TestExchange.Get(target);
        var outcome = TestExchange.RunRequestHead(stage, exchange);
        return (outcome, exchange.HasUpstreamTarget ? Encoding.ASCII.GetString(exchange.UpstreamTarget) : null, exchange.LocalStatus);
    }

    [Theory]
    [InlineData("/api/", "/v2/", "/api/users?x=1&y", "/v2/users?x=1&y")]
    [InlineData("/api/", "/", "/api/users", "/users")]
    [InlineData("/api/", "/internal/api/", "/api/", "/internal/api/")]
    [InlineData("/health", "/status", "/health?full", "/status?full")]
    [InlineData("/", "/app/", "/index.html", "/app/index.html")]
    public void Prefix_ReplacesTheMatchedPrefix_AndKeepsTheQuery(string matched, string prefix, string target, string expected)
    {
        var (outcome, rewritten, _) = Run(new PathRewriteModel { Prefix = prefix, MatchedPrefix = matched }, target);

        Assert.Equal(StageOutcome.Continue, outcome);
        Assert.Equal(expected, rewritten);
    }

    [Fact]
    public void Prefix_LongPath_IsRewrittenWhole()
    {
        var rest = new string('a', 2000);
        var (_, rewritten, _) = Run(new PathRewriteModel { Prefix = "/b/", MatchedPrefix = "/a/" }, "/a/" + rest + "?q=1");

        Assert.Equal("/b/" + rest + "?q=1", rewritten);
    }

    [Theory]
    [InlineData("^/v1/(.*)$", "/api/$1", "/v1/users/7?full=1", "/api/users/7?full=1")]
    [InlineData("^/u/([^/]+)/p/([^/]+)$", "/posts/$2/by/$1", "/u/ann/p/42", "/posts/42/by/ann")]
    [InlineData("/old/", "/new/", "/a/old/b/old/c", "/a/new/b/new/c")]
    [InlineData("^/(?<name>[a-z]+)$", "/x/${name}", "/abc", "/x/abc")]
    public void Regex_ReplacesMatchesWithCaptures_AndKeepsTheQuery(string regex, string replacement, string target, string expected)
    {
        var (outcome, rewritten, _) = Run(new PathRewriteModel { Regex = regex, Replacement = replacement }, target);

        Assert.Equal(StageOutcome.Continue, outcome);
        Assert.Equal(expected, rewritten);
    }

    [Fact]
    public void Regex_NoMatch_LeavesTheTarget()
    {
        var (outcome, rewritten, _) = Run(new PathRewriteModel { Regex = "^/v1/(.*)$", Replacement = "/api/$1" }, "/v2/users");

        Assert.Equal(StageOutcome.Continue, outcome);
        Assert.Null(rewritten);
    }

    [Fact]
    public void Regex_ResultNotAnAbsolutePath_Answers500()
    {
        var (outcome, rewritten, status) = Run(new PathRewriteModel { Regex = "^/v1/(.*)$", Replacement = "$1" }, "/v1/users");

        Assert.Equal(StageOutcome.Answered, outcome);
        Assert.Equal(500, status);
        Assert.Null(rewritten);
    }
}
