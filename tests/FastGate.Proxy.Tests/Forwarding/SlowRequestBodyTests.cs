using FastGate.Proxy.Forwarding;
using FastGate.Proxy.Observability;
using FastGate.Proxy.Stages;
using FastGate.Proxy.Tests.Stages;

namespace FastGate.Proxy.Tests.Forwarding;

/// <summary>
/// The request-body rate on the exchange, with the deadline fired by hand (no waiting): a body
/// deadline armed by the rate is answered 408 and counted as a slow body, on the streamed path and
/// on the path that reads the body whole for the stages; with the rate off it is a plain idle body.
/// </summary>
public class SlowRequestBodyTests
{
    private static string Config(string listenerKeys = "") => TestGateway.OneRouteConfig().Replace(
        "name = \"web\"", "name = \"web\"\n" + listenerKeys, StringComparison.Ordinal);

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Post_BodyDeadlineFires_Answers408_CountedAsASlowBody(bool readWhole)
    {
        Func<Proxy.Config.RouteModel, IReadOnlyList<Stage>>? stages = readWhole ? _ => [new DelegateStage("whole-body", StagePhases.RequestBody)] : null;
        using var gateway = new TestGateway(Config(), stages, new InMemoryOrigin("127.0.0.1:9001"));
        using var client = gateway.Connect(out var connection);

        await client.SendAsync("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1000\r\n\r\nabc");
        await WaitUntilAsync(() => connection.ArmedDeadline == TimeoutKind.BodyIdle);
        connection.OnHeartbeat(long.MaxValue);

        Assert.StartsWith("HTTP/1.1 408 ", (await client.ReceiveAsync()).Single());
        Assert.Equal(1, gateway.Gateway.Metrics.SlowClients.SlowClientCount("web", SlowClientReason.RequestBodyRate));
    }

    [Fact]
    public async Task Post_RateOff_BodyDeadlineIsIdleTimeout_408NotCountedAsSlow()
    {
        using var gateway = new TestGateway(Config("min_request_body_rate = \"0\""), new InMemoryOrigin("127.0.0.1:9001"));
        using var client = gateway.Connect(out var connection);

        await client.SendAsync("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1000\r\n\r\nabc");
        await WaitUntilAsync(() => connection.ArmedDeadline == TimeoutKind.BodyIdle);
        connection.OnHeartbeat(long.MaxValue);

        Assert.StartsWith("HTTP/1.1 408 ", (await client.ReceiveAsync()).Single());
        Assert.Equal(0, gateway.Gateway.Metrics.SlowClients.SlowClientCount("web", SlowClientReason.RequestBodyRate));
    }

    [Fact]
    public async Task Get_HeadNotWholeInTime_Answers408_CountedAsASlowHead()
    {
        using var gateway = new TestGateway(Config(), new InMemoryOrigin("127.0.0.1:9001"));
        using var client = gateway.Connect(out var connection);

        await client.SendAsync("GET / HTTP/1.1\r\nHost: a\r\n");
        await WaitUntilAsync(() => connection.ArmedDeadline == TimeoutKind.RequestHead);
        connection.OnHeartbeat(long.MaxValue);

        Assert.StartsWith("HTTP/1.1 408 ", (await client.ReceiveAsync()).Single());
        Assert.Equal(1, gateway.Gateway.Metrics.SlowClients.SlowClientCount("web", SlowClientReason.RequestHead));
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "the condition never held");
            await Task.Delay(10);
        }
    }
}
