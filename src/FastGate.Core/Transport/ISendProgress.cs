namespace FastGate.Core.Transport;

/// <summary>
/// A transport that can say how many bytes it has handed to the network so far. A flush that
/// completes only tells that the pipe took the bytes, in pieces as large as the pipe allows; the
/// count moves as the peer reads, which is what a minimum send rate must judge.
/// </summary>
public interface ISendProgress
{
    /// <summary>Bytes taken by the kernel (or the stream below) since the connection opened; read on the connection's own loop.</summary>
    long BytesSent { get; }
}
