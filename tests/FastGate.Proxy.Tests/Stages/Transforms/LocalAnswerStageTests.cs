using System.Text;
using FastGate.Proxy.Config;
using FastGate.Proxy.Stages;
using FastGate.Proxy.Stages.Transforms;

namespace FastGate.Proxy.Tests.Stages.Transforms;

/// <summary>Redirects, direct responses and the host rewrite.</summary>
public class LocalAnswerStageTests
{
    [Theory]
    [InlineData(301)]
    [InlineData(308)]
    public void Redirect_AnswersWithTheRenderedLocation(int status)
    {
        var stage = new RedirectStage(new RedirectModel { Status = status, Location = "https://new.example${path}${query}" }, "old", TestExchange.Services());
        var exchange = TestExchange.Get("/docs/a?b=1");

        Assert.Equal(StageOutcome.Answered, TestExchange.RunRequestHead(stage, exchange));

        Assert.Equal(status, exchange.LocalStatus);
        Assert.Equal("https://new.example/docs/a?b=1", TestExchange.Value(exchange.LocalHeaders, "location"));
    }

    [Fact]
    public void Redirect_LocationWithAControlCharacter_Answers400WithoutLocation()
    {
        var stage = new RedirectStage(new RedirectModel { Location = "https://x/${consumer}" }, "old", TestExchange.Services());
        var exchange = TestExchange.Get("/");
        exchange.Consumer = new ConsumerModel("a\rb");

        Assert.Equal(StageOutcome.Answered, TestExchange.RunRequestHead(stage, exchange));

        Assert.Equal(400, exchange.LocalStatus);
        Assert.Null(TestExchange.Value(exchange.LocalHeaders, "location"));
    }

    [Fact]
    public void DirectResponse_AnswersWithTheBodyAndType()
    {
        var stage = new DirectResponseStage(new DirectResponseModel { Status = 503, Body = "down for maintenance\n", ContentType = "text/plain" });
        var exchange = TestExchange.Get("/");

        Assert.Equal(StageOutcome.Answered, TestExchange.RunRequestHead(stage, exchange));

        Assert.Equal(503, exchange.LocalStatus);
        Assert.Equal("down for maintenance\n", Encoding.UTF8.GetString(exchange.LocalBody));
        Assert.Equal("text/plain", Encoding.ASCII.GetString(exchange.LocalContentType));
    }

    [Fact]
    public void HostRewrite_SetsTheUpstreamHost()
    {
        var exchange = TestExchange.Get("/");

        Assert.Equal(StageOutcome.Continue, TestExchange.RunRequestHead(new HostRewriteStage("internal.example:8080"), exchange));

        Assert.Equal("internal.example:8080", Encoding.ASCII.GetString(exchange.UpstreamHost));
    }
}
