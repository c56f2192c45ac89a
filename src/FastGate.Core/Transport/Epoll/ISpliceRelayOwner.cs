namespace FastGate.Core.Transport.Epoll;

/// <summary>What a <see cref="SpliceRelay"/> tells the connection it serves, on the loop's thread.</summary>
public interface ISpliceRelayOwner
{
    /// <summary>A splice moved <paramref name="bytes"/> out to the receiving side: from the relay's first transport to its second when <paramref name="fromFirst"/>.</summary>
    void OnForwarded(bool fromFirst, int bytes);

    /// <summary>
    /// A direction is over. Clean: its sender's FIN was passed on after every byte before it, and
    /// the other direction goes on. Not clean (a reset, a failed splice, no pipe to be had): the
    /// owner closes both transports, then calls <see cref="SpliceRelay.Stop"/>.
    /// </summary>
    void OnDirectionEnded(bool clean);
}
