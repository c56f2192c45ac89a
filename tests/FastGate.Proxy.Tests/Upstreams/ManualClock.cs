using System.Diagnostics;

namespace FastGate.Proxy.Tests.Upstreams;

/// <summary>A clock in Stopwatch ticks that the test sets.</summary>
internal sealed class ManualClock(long now) : TimeProvider
{
    public long Now { get; set; } = now;

    public override long TimestampFrequency => Stopwatch.Frequency;

    public override long GetTimestamp() => Now;
}
