using FastGate.Proxy.Config;
using FastGate.Proxy.Observability;

namespace FastGate.Proxy.Tests.Observability;

public class UpstreamFailureLogTests
{
    private sealed class ManualTime : TimeProvider
    {
        public long Now;
        public override long TimestampFrequency => 1000;
        public override long GetTimestamp() => Now;
    }

    private static string[] Lines(StringWriter output) =>
        output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);

    [Fact]
    public void Report_NamesRouteEndpointAndCause()
    {
        var output = new StringWriter();
        var failures = new UpstreamFailureLog(new GatewayLog(output), new ManualTime());

        failures.Report("orders", "10.0.0.5:8080", UpstreamFailure.ConnectRefused, "ConnectionRefused");

        var line = Assert.Single(Lines(output));
        Assert.Contains(" warn upstream failure: route=orders endpoint=10.0.0.5:8080 cause=connect-refused (ConnectionRefused)", line);
    }

    [Fact]
    public void Report_SameEndpointAndCauseWithinASecond_OneLineThenTheSuppressedCount()
    {
        var output = new StringWriter();
        var time = new ManualTime();
        var failures = new UpstreamFailureLog(new GatewayLog(output), time);

        for (var i = 0; i < 5; i++)
        {
            failures.Report("orders", "10.0.0.5:8080", UpstreamFailure.ResponseTimeout, null);
        }
        // Another cause, or another endpoint, has its own budget.
        failures.Report("orders", "10.0.0.5:8080", UpstreamFailure.BadResponseHead, null);
        failures.Report("orders", "10.0.0.6:8080", UpstreamFailure.ResponseTimeout, null);
        time.Now += 1000;
        failures.Report("orders", "10.0.0.5:8080", UpstreamFailure.ResponseTimeout, null);

        var lines = Lines(output);
        Assert.Equal(4, lines.Length);
        Assert.EndsWith("endpoint=10.0.0.5:8080 cause=response-timeout", lines[0]);
        Assert.EndsWith("endpoint=10.0.0.5:8080 cause=bad-response-head", lines[1]);
        Assert.EndsWith("endpoint=10.0.0.6:8080 cause=response-timeout", lines[2]);
        Assert.EndsWith("endpoint=10.0.0.5:8080 cause=response-timeout; 4 more like it suppressed", lines[3]);
    }

    [Fact]
    public void Report_LevelBelowWarn_WritesNothing()
    {
        var output = new StringWriter();
        var log = new GatewayLog(output) { Level = LogLevel.Error };

        log.UpstreamFailures.Report("orders", "10.0.0.5:8080", UpstreamFailure.ConnectTimeout, null);

        Assert.Empty(output.ToString());
    }
}
