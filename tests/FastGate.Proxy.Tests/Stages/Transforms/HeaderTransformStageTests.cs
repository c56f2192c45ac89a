using FastGate.Proxy.Config;
using FastGate.Proxy.Stages;
using FastGate.Proxy.Stages.Transforms;

namespace FastGate.Proxy.Tests.Stages.Transforms;

public class HeaderTransformStageTests
{
    private static readonly HeaderTransformModel Model = new()
    {
        Set = [new("x-client", "${client_ip}"), new("x-route", "${route}")],
        Add = [new("x-tag", "a"), new("x-tag", "b")],
        Remove = ["x-secret", "x-route"],
    };

    [Fact]
    public void Request_RemovesSetsAndAdds_OnTheUpstreamRequest()
    {
        var stage = HeaderTransformStage.ForRequest(Model, "api", TestExchange.Services());
        var exchange = TestExchange.Get("/", "X-Secret: s\r\nX-Client: forged\r\n", clientIp: "192.0.2.7");

        Assert.Equal(StageOutcome.Continue, TestExchange.RunRequestHead(stage, exchange));

        var edits = exchange.UpstreamRequestHeaders;
        Assert.True(edits.Drops("x-secret"u8));
        Assert.True(edits.Drops("x-client"u8));
        Assert.False(edits.Drops("x-tag"u8));
        // Removed first, then set: a name in both ends up set.
        Assert.Equal(["x-client: 192.0.2.7", "x-route: api", "x-tag: a", "x-tag: b"], TestExchange.Fields(edits));
        Assert.Equal(0, exchange.ResponseHeaders.Count);
        Assert.Equal(StagePhases.RequestHead, stage.Phases);
    }

    [Fact]
    public void Response_EditsTheClientsResponse_InTheResponseHeadPhase()
    {
        var stage = HeaderTransformStage.ForResponse(new HeaderTransformModel { Set = [new("x-served-by", "${route}")], Remove = ["server"] }, "api", answersLocally: false, TestExchange.Services());
        var exchange = TestExchange.Get("/");

        Assert.Equal(StagePhases.ResponseHead, stage.Phases);
        Assert.Equal(StageOutcome.Continue, stage.OnResponseHead(exchange));

        Assert.Equal(["x-served-by: api"], TestExchange.Fields(exchange.ResponseHeaders));
        Assert.True(exchange.ResponseHeaders.Drops("server"u8));
        Assert.Equal(0, exchange.UpstreamRequestHeaders.Count);
    }

    [Fact]
    public void Response_OnARouteThatAnswersItself_RunsBeforeTheAnswer()
    {
        var stage = HeaderTransformStage.ForResponse(new HeaderTransformModel { Set = [new("cache-control", "no-store")] }, "api", answersLocally: true, TestExchange.Services());
        var exchange = TestExchange.Get("/");

        Assert.Equal(StagePhases.RequestHead, stage.Phases);
        Assert.Equal(StageOutcome.Continue, TestExchange.RunRequestHead(stage, exchange));
        Assert.Equal("no-store", TestExchange.Value(exchange.ResponseHeaders, "cache-control"));
    }

    [Fact]
    public void Request_RenderedValueWithAControlCharacter_Answers400()
    {
        var stage = HeaderTransformStage.ForRequest(new HeaderTransformModel { Set = [new("x-consumer", "${consumer}")] }, "api", TestExchange.Services());
        var exchange = TestExchange.Get("/");
        exchange.Consumer = new ConsumerModel("a\nb");

        Assert.Equal(StageOutcome.Answered, TestExchange.RunRequestHead(stage, exchange));
        Assert.Equal(400, exchange.LocalStatus);
        Assert.Equal(0, exchange.UpstreamRequestHeaders.Count);
    }
}
