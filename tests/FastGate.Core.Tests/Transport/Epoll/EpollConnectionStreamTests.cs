using System.Net.Sockets;
using FastGate.Core.Transport.Epoll;

namespace FastGate.Core.Tests.Transport.Epoll;

public sealed class EpollConnectionStreamTests
{
    private static byte[] Pattern(int length) => Enumerable.Range(0, length).Select(i => (byte)(i * 31 + 7)).ToArray();

    [Fact]
    public async Task ReadAndWrite_FromOffTheLoop_CarryEveryByteBothWays()
    {
        using var harness = new LoopTestHarness();
        var (connection, peer) = await harness.ConnectAsync();
        using var _ = peer;
        var stream = new EpollConnectionStream(connection);
        var outgoing = Pattern(1_000_000);
        var incoming = Pattern(700_000).Reverse().ToArray();

        var peerReads = Task.Run(async () =>
        {
            var received = new byte[outgoing.Length];
            var total = 0;
            while (total < received.Length)
            {
                total += await peer.ReceiveAsync(received.AsMemory(total));
            }
            return received;
        });
        var peerWrites = Task.Run(async () =>
        {
            for (var sent = 0; sent < incoming.Length;)
            {
                sent += await peer.SendAsync(incoming.AsMemory(sent));
            }
        });
        for (var offset = 0; offset < outgoing.Length; offset += 40_000)
        {
            await stream.WriteAsync(outgoing.AsMemory(offset, Math.Min(40_000, outgoing.Length - offset))).AsTask().WaitAsync(LoopTestHarness.Bound);
        }
        var read = new byte[incoming.Length];
        for (var total = 0; total < read.Length;)
        {
            total += await stream.ReadAsync(read.AsMemory(total, Math.Min(10_000, read.Length - total))).AsTask().WaitAsync(LoopTestHarness.Bound);
        }

        Assert.Equal(outgoing, await peerReads.WaitAsync(LoopTestHarness.Bound));
        await peerWrites.WaitAsync(LoopTestHarness.Bound);
        Assert.Equal(incoming, read);
        await harness.CloseAsync(connection);
        Assert.Empty(harness.Errors);
    }

    [Fact]
    public async Task Read_PeerClosed_ReturnsZero()
    {
        using var harness = new LoopTestHarness();
        var (connection, peer) = await harness.ConnectAsync();
        var stream = new EpollConnectionStream(connection);

        await peer.SendAsync(new byte[] { 1, 2, 3 });
        peer.Shutdown(SocketShutdown.Send);
        var buffer = new byte[16];
        var first = await stream.ReadAsync(buffer).AsTask().WaitAsync(LoopTestHarness.Bound);
        var end = await stream.ReadAsync(buffer).AsTask().WaitAsync(LoopTestHarness.Bound);

        Assert.Equal(3, first);
        Assert.Equal(0, end);
        peer.Dispose();
        await harness.CloseAsync(connection);
    }

    [Fact]
    public async Task Read_ConnectionClosedMeanwhile_EndsWithoutHanging()
    {
        using var harness = new LoopTestHarness();
        var (connection, peer) = await harness.ConnectAsync();
        using var _ = peer;
        var stream = new EpollConnectionStream(connection);

        var pending = stream.ReadAsync(new byte[16]).AsTask();
        connection.Dispose();
        try
        {
            Assert.Equal(0, await pending.WaitAsync(LoopTestHarness.Bound));
        }
        catch (IOException)
        {
            // A failed read is as good an end as an empty one.
        }
    }
}
