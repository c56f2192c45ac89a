using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using FastGate.Core.Transport.Epoll;

namespace FastGate.Core.Tests.Transport.Epoll;

/// <summary>
/// A started <see cref="EventLoop"/> for one test and the plumbing to drive its connections
/// from the test thread: everything a connection does runs on the loop, the test awaits the
/// outcome off it. Errors the loop reports are kept and checked on dispose.
/// </summary>
internal sealed class LoopTestHarness : IDisposable
{
    public static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    private readonly ConcurrentQueue<Exception> _errors = new();

    public LoopTestHarness()
    {
        Loop = new EventLoop(0, _errors.Enqueue);
        Loop.Start();
    }

    public EventLoop Loop { get; }

    public IReadOnlyCollection<Exception> Errors => _errors;

    /// <summary>Runs <paramref name="action"/> on the loop; the result comes back off the loop thread.</summary>
    public Task<T> OnLoop<T>(Func<ValueTask<T>> action) => OnLoop(Loop, action);

    public Task<T> OnLoop<T>(Func<T> action) => OnLoop(Loop, () => ValueTask.FromResult(action()));

    public static Task<T> OnLoop<T>(EventLoop loop, Func<ValueTask<T>> action)
    {
        var done = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        loop.Post(async () =>
        {
            try
            {
                done.SetResult(await action());
            }
            catch (Exception ex)
            {
                done.SetException(ex);
            }
        });
        return done.Task.WaitAsync(Bound);
    }

    /// <summary>
    /// An <see cref="EpollConnection"/> on the loop, connected to a plain socket (the peer).
    /// The peer's receive buffer is fixed at <paramref name="peerReceiveBuffer"/> bytes when given,
    /// so the kernel cannot take a large write off the connection's hands.
    /// </summary>
    public async Task<(EpollConnection Connection, Socket Peer)> ConnectAsync(int peerReceiveBuffer = 0)
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        if (peerReceiveBuffer > 0)
        {
            // Inherited by the accepted socket; set before the handshake, it also fixes the window.
            listener.ReceiveBufferSize = peerReceiveBuffer;
        }
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        var accept = listener.AcceptAsync();
        var endPoint = (IPEndPoint)listener.LocalEndPoint!;
        var transport = await OnLoop(() => EpollConnection.ConnectAsync(Loop, endPoint, TimeSpan.FromSeconds(10)));
        var peer = await accept.WaitAsync(Bound);
        return ((EpollConnection)transport, peer);
    }

    /// <summary>Closes <paramref name="connection"/> on the loop and waits until it is closed.</summary>
    public Task CloseAsync(EpollConnection connection) => OnLoop(() =>
    {
        connection.Dispose();
        return true;
    });

    public void Dispose()
    {
        Loop.Dispose();
        Assert.Empty(_errors);
    }
}

/// <summary>Bytes whose value depends on their offset, so a lost, repeated or reordered byte shows.</summary>
internal static class TestPattern
{
    public static byte At(long offset) => (byte)((offset * 7 + (offset >> 13)) % 251);

    public static byte[] Create(int length, long start = 0)
    {
        var bytes = new byte[length];
        for (var i = 0; i < length; i++)
        {
            bytes[i] = At(start + i);
        }
        return bytes;
    }

    /// <summary>The offset of the first byte in <paramref name="bytes"/> that is not the pattern from <paramref name="start"/>, or -1.</summary>
    public static long FirstMismatch(ReadOnlySpan<byte> bytes, long start)
    {
        for (var i = 0; i < bytes.Length; i++)
        {
            if (bytes[i] != At(start + i))
            {
                return start + i;
            }
        }
        return -1;
    }
}
