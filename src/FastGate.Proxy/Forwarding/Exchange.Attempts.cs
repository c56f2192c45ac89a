using FastGate.Core.Buffers;
using FastGate.Core.Transport.Epoll;

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
    /// Set by a response-head stage whose body stages may change the length: the client's head is
    /// written only with the first bytes the body stages let through, so that until then a stage
    /// may still choose the status (<see cref="SetResponseStatus"/>), for example to answer a
    /// whole body it found broken with 502 rather than the upstream's 200.
    /// </summary>
    public bool ResponseHeadHeld { get; private set; }

    /// <summary>The status the client gets instead of the upstream's; 0 keeps the upstream's.</summary>
    public int ResponseStatusOverride { get; private set; }

    /// <summary>Holds the client's response head until the body stages let bytes through (response-head phase).</summary>
    public void HoldResponseHead() => ResponseHeadHeld = true;

    /// <summary>
    /// While the head is held (<see cref="HoldResponseHead"/>) and nothing went to the client, the
    /// status (100–599) it gets instead of the upstream's. False when it is too late or invalid.
    /// </summary>
    public bool SetResponseStatus(int status)
    {
        if (!ResponseHeadHeld || FirstByteSentTimestamp != 0 || status is < 200 or > 599)
        {
            return false;
        }
        ResponseStatusOverride = status;
        return true;
    }

    /// <summary>A retry starts over: the next attempt's head is not held unless a stage holds it again.</summary>
    internal void ClearHeldHead()
    {
        ResponseHeadHeld = false;
        ResponseStatusOverride = 0;
    }

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
            FirstByteSentTimestamp = LoopClock.Now;
        }
    }
}
