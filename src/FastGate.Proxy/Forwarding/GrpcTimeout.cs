using System.Diagnostics;

namespace FastGate.Proxy.Forwarding;

/// <summary>
/// The grpc-timeout field (gRPC over HTTP/2: "Timeout → TimeoutValue TimeoutUnit", 1 to 8 ASCII
/// digits and one of H M S m u n), to and from <see cref="Stopwatch"/> ticks. FastGate forwards
/// what is left of the client's deadline, not the value it got, so that the upstream's own
/// deadline does not outlast the client's by the time spent here (queueing, connects, retries).
/// </summary>
internal static class GrpcTimeout
{
    /// <summary>The longest value: 8 digits and a unit.</summary>
    public const int MaxLength = 9;
    private const long MaxValue = 99_999_999;

    /// <summary>The timeout in ticks; long.MaxValue when <paramref name="value"/> is malformed.</summary>
    public static long Parse(ReadOnlySpan<byte> value)
    {
        if (value.Length is < 2 or > MaxLength)
        {
            return long.MaxValue;
        }
        long amount = 0;
        foreach (var digit in value[..^1])
        {
            if (digit is < (byte)'0' or > (byte)'9')
            {
                return long.MaxValue;
            }
            amount = amount * 10 + (digit - '0');
        }
        double seconds = value[^1] switch
        {
            (byte)'H' => amount * 3600.0,
            (byte)'M' => amount * 60.0,
            (byte)'S' => amount,
            (byte)'m' => amount / 1e3,
            (byte)'u' => amount / 1e6,
            (byte)'n' => amount / 1e9,
            _ => -1,
        };
        return seconds < 0 ? long.MaxValue : (long)(seconds * Stopwatch.Frequency);
    }

    /// <summary>
    /// Writes <paramref name="ticks"/> (more than 0) in the finest unit whose value fits 8 digits,
    /// rounded down so the upstream never gets more time than is left; the bytes written.
    /// </summary>
    public static int Format(long ticks, Span<byte> destination)
    {
        var seconds = (decimal)Math.Max(ticks, 0) / Stopwatch.Frequency;
        ReadOnlySpan<byte> units = "numSMH"u8;
        ReadOnlySpan<decimal> perSecond = [1_000_000_000m, 1_000_000m, 1_000m, 1m, 1m / 60, 1m / 3600];
        var i = 0;
        var amount = decimal.Floor(seconds * perSecond[0]);
        while (amount > MaxValue && i < units.Length - 1)
        {
            i++;
            amount = decimal.Floor(seconds * perSecond[i]);
        }
        var value = (long)Math.Min(amount, MaxValue);
        var written = 0;
        Span<byte> digits = stackalloc byte[8];
        var count = 0;
        do
        {
            digits[count++] = (byte)('0' + value % 10);
            value /= 10;
        }
        while (value > 0);
        while (count > 0)
        {
            destination[written++] = digits[--count];
        }
        destination[written++] = units[i];
        return written;
    }
}
