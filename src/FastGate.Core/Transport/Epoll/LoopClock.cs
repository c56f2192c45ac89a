using System.Diagnostics;

namespace FastGate.Core.Transport.Epoll;

/// <summary>
/// The time for code that may run on a loop or off one: on a loop's thread the turn's time
/// (<see cref="EventLoop.Now"/>, no clock read), anywhere else (the portable transport, the
/// thread pool, a test) <see cref="Stopwatch.GetTimestamp"/>. Both are Stopwatch ticks on the
/// same monotonic clock, so values from either may be compared; the loop's trails the clock by at
/// most a batch of work, so a duration that mixes the two is clamped at zero by its reader.
/// </summary>
public static class LoopClock
{
    /// <summary>Stopwatch ticks: the current loop turn's time on a loop thread, the clock elsewhere.</summary>
    public static long Now => EventLoop.Current is { } loop ? loop.Now : Stopwatch.GetTimestamp();
}
