using System.Diagnostics.CodeAnalysis;

namespace FastGate.Core.Transport.Epoll;

/// <summary>
/// Relays bytes both ways between two connections of one loop with splice(2) through kernel
/// pipes: the bytes go from one socket to the other inside the kernel and never enter
/// FastGate's memory, which saves the receive copy, the send copy and the copy between the
/// pipes that a read-then-write relay makes. For a byte tunnel that reads nothing it forwards (an
/// L4 connection). Each socket's readiness goes to the relay from the hand-over on; the
/// connections keep their descriptors and close them as before. Loop thread only.
/// </summary>
public sealed class SpliceRelay
{
    private readonly EpollConnection _first;
    private readonly EpollConnection _second;
    private readonly SpliceDirection _forward;
    private readonly SpliceDirection _backward;

    private SpliceRelay(EpollConnection first, EpollConnection second, ISpliceRelayOwner owner)
    {
        _first = first;
        _second = second;
        _forward = new SpliceDirection(owner, fromFirst: true, first.Fd, second.Fd);
        _backward = new SpliceDirection(owner, fromFirst: false, second.Fd, first.Fd);
    }

    /// <summary>
    /// A relay between <paramref name="first"/> and <paramref name="second"/> when both are
    /// connections of the calling loop, open, with no byte held in their pipes: anything already
    /// read must be forwarded through the pipes first, and what they hold to send goes out now
    /// (when the kernel does not take it all, no relay). Otherwise null. <see cref="Start"/> hands
    /// the sockets over.
    /// </summary>
    public static bool TryCreate(ITransport first, ITransport second, ISpliceRelayOwner owner, [NotNullWhen(true)] out SpliceRelay? relay)
    {
        if (first is EpollConnection a && second is EpollConnection b && a.Loop == b.Loop && a.Loop.IsCurrent
            && !a.Closed && !b.Closed && a.TrySendNow() && b.TrySendNow() && !a.HoldsBuffers && !b.HoldsBuffers)
        {
            relay = new SpliceRelay(a, b, owner);
            return true;
        }
        relay = null;
        return false;
    }

    /// <summary>Takes over both sockets' readiness and moves what is waiting already; the owner hears of it from here on.</summary>
    public void Start()
    {
        _first.Redirect(new SpliceSocket(_forward, _backward));
        _second.Redirect(new SpliceSocket(_backward, _forward));
        // Readiness seen before the hand-over was the pipes' (edge-triggered: it will not come again).
        _forward.Run();
        _backward.Run();
    }

    /// <summary>
    /// The owner has closed both transports: gives back the pipes. Returns how many directions
    /// were still running; they end here, without a call to the owner.
    /// </summary>
    public int Stop() => (_forward.Stop() ? 1 : 0) + (_backward.Stop() ? 1 : 0);
}
