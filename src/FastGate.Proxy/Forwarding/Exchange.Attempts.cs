using FastGate.Core.Buffers;

namespace FastGate.Proxy.Forwarding;

/// <summary>
/// What a stage that translates each attempt needs: a request body per attempt (the client's
/// stays in <see cref="RequestBody"/> for the next one), and when the client got its first byte.
/// </summary>
public sealed partial class Exchange
{
    /// <summary>
    /// The body for the next upstream attempt, when a stage wrote one (clear it and write it again
    /// per attempt): the upstream gets it, with its own Content-Length, instead of
    /// <see cref="RequestBody"/>, which keeps the client's body across attempts. Empty: the
    /// request body goes as usual.
    /// </summary>
    public PooledByteBuffer UpstreamBody => Scratch.UpstreamBody;

    /// <summary>A stage wrote a body for the next attempt.</summary>
    public bool HasUpstreamBody => _scratch is { UpstreamBody.Length: > 0 };

    /// <summary>The body the upstream gets: the stage's for this attempt, else the buffered request body.</summary>
    internal ReadOnlySpan<byte> OutgoingBody => HasUpstreamBody ? _scratch!.UpstreamBody.WrittenSpan : RequestBody;

    /// <summary>
    /// When the first byte of the response (head with its first body bytes, or a local answer)
    /// was handed to the client's connection, in <see cref="System.Diagnostics.Stopwatch"/> ticks;
    /// 0 while nothing was. Minus <see cref="StartTimestamp"/>, the time to first byte (or token).
    /// </summary>
    public long FirstByteSentTimestamp { get; internal set; }

    internal void FirstByteSent()
    {
        if (FirstByteSentTimestamp == 0)
        {
            FirstByteSentTimestamp = System.Diagnostics.Stopwatch.GetTimestamp();
        }
    }
}
