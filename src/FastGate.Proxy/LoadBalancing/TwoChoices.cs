namespace FastGate.Proxy.LoadBalancing;

/// <summary>The draw of the power-of-two-choices policies: two different endpoints, uniformly.</summary>
internal static class TwoChoices
{
    /// <summary>Two different indexes below <paramref name="count"/> (at least 2).</summary>
    public static (int A, int B) Draw(Random random, int count)
    {
        var a = random.Next(count);
        var b = random.Next(count - 1);
        // Drawing the second from one fewer and skipping the first keeps both uniform without a retry.
        return (a, b >= a ? b + 1 : b);
    }
}
