namespace FastGate.Core.Transport;

/// <summary>
/// A transport that can say how many bytes its peer has taken so far. A flush that completes only
/// tells that the pipe or the kernel took the bytes, in pieces as large as their buffers allow
/// (the kernel wakes a writer only once a third of its send queue has drained); the count here
/// moves as the peer acknowledges data, which is what a minimum send rate must judge.
/// </summary>
public interface ISendProgress
{
    /// <summary>
    /// Bytes the peer has taken since the connection opened: handed to the kernel and no longer in
    /// its send queue where the kernel says so (Linux), else handed to the layer below. Read on
    /// the connection's own loop; it never goes down between two reads of one connection.
    /// </summary>
    long BytesDelivered { get; }
}
