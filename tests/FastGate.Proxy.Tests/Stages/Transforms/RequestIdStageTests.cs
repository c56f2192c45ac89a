using System.Text;
using FastGate.Proxy.Stages.Transforms;

namespace FastGate.Proxy.Tests.Stages.Transforms;

public class RequestIdStageTests
{
    private static string Run(string extraHeaders)
    {
        var exchange = TestExchange.Get("/", extraHeaders);
        TestExchange.RunRequestHead(new RequestIdStage(), exchange);
        var id = Encoding.ASCII.GetString(exchange.RequestId);
        Assert.Equal(id, TestExchange.Value(exchange.UpstreamRequestHeaders, "x-request-id"));
        Assert.Equal(id, TestExchange.Value(exchange.ResponseHeaders, "x-request-id"));
        Assert.True(exchange.UpstreamRequestHeaders.Drops("x-request-id"u8));
        return id;
    }

    [Theory]
    [InlineData("abc-123")]
    [InlineData("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")]
    [InlineData("x")]
    public void Run_SaneClientId_IsKept(string id)
    {
        Assert.Equal(id, Run($"X-Request-Id: {id}\r\n"));
    }

    [Fact]
    public void Run_ClientIdOfTheLongestLength_IsKept()
    {
        var id = new string('a', 64);
        Assert.Equal(id, Run($"x-request-id: {id}\r\n"));
    }

    [Theory]
    [InlineData("")]
    [InlineData("x-request-id: has space\r\n")]
    [InlineData("x-request-id: \"quoted\"\u00e9\r\n")]
    public void Run_NoOrOddClientId_IsReplacedByAGeneratedOne(string header)
    {
        var id = Run(header);

        Assert.Matches("^[0-9a-f]{32}$", id);
    }

    [Fact]
    public void Run_ClientIdTooLong_IsReplaced()
    {
        var id = Run($"x-request-id: {new string('a', 65)}\r\n");

        Assert.Matches("^[0-9a-f]{32}$", id);
    }

    [Fact]
    public void Generate_ManyIds_AreDistinct()
    {
        var seen = new HashSet<string>();
        var buffer = new byte[32];
        for (var i = 0; i < 10_000; i++)
        {
            RequestIdStage.Generate(buffer);
            Assert.True(seen.Add(Encoding.ASCII.GetString(buffer)));
        }
    }
}
