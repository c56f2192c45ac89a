using System.Buffers;
using System.Net.Sockets;
using System.Text;
using FastGate.Core.Transport.Epoll;

namespace FastGate.Core.Tests.Transport.Epoll;

/// <summary>
/// Small flushes on an <see cref="EpollConnection"/> complete at once and their bytes leave at
/// the end of the loop's turn; large ones leave at once.
/// </summary>
public class LoopSenderTurnEndTests
{
    private static async Task<string> ReceiveTextAsync(Socket peer, int count)
    {
        var buffer = new byte[count];
        var received = 0;
        while (received < count)
        {
            var read = await peer.ReceiveAsync(buffer.AsMemory(received), SocketFlags.None).AsTask().WaitAsync(LoopTestHarness.Bound);
            if (read == 0)
            {
                throw new EndOfStreamException($"the stream ended after {received} of {count} bytes");
            }
            received += read;
        }
        return Encoding.ASCII.GetString(buffer);
    }

    [Fact]
    public async Task Flush_SeveralSmallFlushesInOneTurn_CompleteAtOnceAndLeaveTogetherInOrderAtTheTurnsEnd()
    {
        using var harness = new LoopTestHarness();
        var (connection, peer) = await harness.ConnectAsync();
        using (peer)
        {
            var duringTurn = await harness.OnLoop(() =>
            {
                var allCompleted = true;
                foreach (var word in new[] { "one ", "two ", "three" })
                {
                    connection.Output.Write(Encoding.ASCII.GetBytes(word));
                    allCompleted &= connection.Output.FlushAsync().IsCompleted;
                }
                return (allCompleted, connection.BytesSent);
            });

            Assert.True(duringTurn.allCompleted, "a small flush did not complete at once");
            Assert.Equal(0, duringTurn.BytesSent);
            Assert.Equal("one two three", await ReceiveTextAsync(peer, 13));
            Assert.Equal(13, await harness.OnLoop(() => connection.BytesSent));
            Assert.False(await harness.OnLoop(() => connection.HoldsBuffers));
            await harness.CloseAsync(connection);
        }
    }

    [Fact]
    public async Task Flush_LargeWrite_LeavesAtOnceNotAtTheTurnsEnd()
    {
        using var harness = new LoopTestHarness();
        var (connection, peer) = await harness.ConnectAsync();
        using (peer)
        {
            var data = TestPattern.Create(LoopSender.SendAtOnceBytes + 4096);
            var receiving = Task.Run(async () =>
            {
                var buffer = new byte[data.Length];
                for (var received = 0; received < buffer.Length;)
                {
                    var read = await peer.ReceiveAsync(buffer.AsMemory(received), SocketFlags.None);
                    Assert.NotEqual(0, read);
                    received += read;
                }
                return buffer;
            });
            var sentDuringTurn = await harness.OnLoop(async () =>
            {
                connection.Output.Write(data);
                await connection.Output.FlushAsync();
                return connection.BytesSent;
            });

            Assert.True(sentDuringTurn > 0, "a large flush waited for the end of the turn");
            Assert.Equal(-1, TestPattern.FirstMismatch(await receiving.WaitAsync(LoopTestHarness.Bound), 0));
            await harness.CloseAsync(connection);
        }
    }

    [Fact]
    public async Task Dispose_InTheTurnOfASmallFlush_PeerReadsTheBytesThenTheEnd()
    {
        using var harness = new LoopTestHarness();
        var (connection, peer) = await harness.ConnectAsync();
        using (peer)
        {
            await harness.OnLoop(async () =>
            {
                connection.Output.Write("last words"u8);
                await connection.Output.FlushAsync();
                connection.Dispose();
                return true;
            });

            Assert.Equal("last words", await ReceiveTextAsync(peer, 10));
            Assert.Equal(0, await peer.ReceiveAsync(new byte[16], SocketFlags.None).WaitAsync(LoopTestHarness.Bound));
        }
    }

    [Fact]
    public async Task Complete_AfterASmallFlushInTheSameTurn_PeerReadsEveryByteThenTheEnd()
    {
        using var harness = new LoopTestHarness();
        var (connection, peer) = await harness.ConnectAsync();
        using (peer)
        {
            await harness.OnLoop(async () =>
            {
                connection.Output.Write("flushed "u8);
                await connection.Output.FlushAsync();
                connection.Output.Write("and completed"u8);
                connection.Output.Complete();
                return true;
            });

            Assert.Equal("flushed and completed", await ReceiveTextAsync(peer, 21));
            Assert.Equal(0, await peer.ReceiveAsync(new byte[16], SocketFlags.None).WaitAsync(LoopTestHarness.Bound));
            await harness.CloseAsync(connection);
        }
    }

    [Fact]
    public async Task GetMemory_HeldPastTheTurnsEndSend_TheBlockStaysTheWritersAndItsBytesFollowInOrder()
    {
        using var harness = new LoopTestHarness();
        var (connection, peer) = await harness.ConnectAsync();
        using (peer)
        {
            // A writer that flushes, takes memory and fills it on a later turn (a relay reading
            // straight into the writer's block): the turn's end sends the flushed bytes but must
            // not return the block the writer is still filling.
            var memory = await harness.OnLoop(async () =>
            {
                connection.Output.Write("first "u8);
                await connection.Output.FlushAsync();
                return connection.Output.GetMemory(16);
            });
            Assert.Equal("first ", await ReceiveTextAsync(peer, 6));

            // Another connection on the loop rents and fills blocks meanwhile.
            var (other, otherPeer) = await harness.ConnectAsync();
            using (otherPeer)
            {
                await harness.OnLoop(async () =>
                {
                    other.Output.Write(Encoding.ASCII.GetBytes(new string('x', 64)));
                    await other.Output.FlushAsync();
                    return true;
                });
                Assert.Equal(new string('x', 64), await ReceiveTextAsync(otherPeer, 64));

                await harness.OnLoop(async () =>
                {
                    "second"u8.CopyTo(memory.Span);
                    connection.Output.Advance(6);
                    await connection.Output.FlushAsync();
                    return true;
                });
                Assert.Equal("second", await ReceiveTextAsync(peer, 6));
                Assert.False(await harness.OnLoop(() => connection.HoldsBuffers));
                await harness.CloseAsync(other);
            }
            await harness.CloseAsync(connection);
        }
    }

    [Fact]
    public async Task Flush_PeerResetBeforeTheTurnsEndSend_TheNextFlushFails()
    {
        using var harness = new LoopTestHarness();
        var (connection, peer) = await harness.ConnectAsync();
        peer.LingerState = new LingerOption(true, 0);
        peer.Close();
        // The reset reaches the connection: a read ends, with an error or the end of the stream.
        await harness.OnLoop(async () =>
        {
            try
            {
                var result = await connection.Input.ReadAsync();
                connection.Input.AdvanceTo(result.Buffer.End);
            }
            catch (SocketException)
            {
            }
            return true;
        });

        await harness.OnLoop(async () =>
        {
            connection.Output.Write("into the void"u8);
            await connection.Output.FlushAsync();
            return true;
        });
        var error = await Assert.ThrowsAsync<SocketException>(() => harness.OnLoop(async () =>
        {
            connection.Output.Write("again"u8);
            await connection.Output.FlushAsync();
            return true;
        }));
        Assert.Contains(error.SocketErrorCode, new[] { SocketError.ConnectionReset, SocketError.Shutdown });
        Assert.False(await harness.OnLoop(() => connection.HoldsBuffers));
        await harness.CloseAsync(connection);
    }
}
