using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using System.Text;
using FastGate.Core.Transport.Epoll;

namespace FastGate.Core.Tests.Transport.Epoll;

/// <summary>An <see cref="EpollConnection"/> against a plain .NET socket on loopback.</summary>
public class EpollConnectionTests
{
    private const int MiB = 1024 * 1024;

    /// <summary>Reads on the loop until <paramref name="count"/> bytes arrived or the stream ended; every read consumes all it got.</summary>
    private static async ValueTask<(byte[] Bytes, int Reads, bool Ended)> ReadAsync(PipeReader input, int count)
    {
        var received = new ArrayBufferWriter<byte>(Math.Min(count, 1024 * 1024));
        var reads = 0;
        while (received.WrittenCount < count)
        {
            var result = await input.ReadAsync();
            reads++;
            foreach (var segment in result.Buffer)
            {
                received.Write(segment.Span);
            }
            input.AdvanceTo(result.Buffer.End);
            if (result.IsCompleted)
            {
                return (received.WrittenSpan.ToArray(), reads, true);
            }
        }
        return (received.WrittenSpan.ToArray(), reads, false);
    }

    private static async Task SendInPiecesAsync(Socket peer, byte[] data, int seed)
    {
        var random = new Random(seed);
        for (var offset = 0; offset < data.Length;)
        {
            var length = Math.Min(random.Next(1, 48 * 1024), data.Length - offset);
            offset += await peer.SendAsync(data.AsMemory(offset, length), SocketFlags.None);
        }
    }

    private static async Task<byte[]> ReceiveExactlyAsync(Socket peer, int count)
    {
        var buffer = new byte[count];
        var received = 0;
        while (received < count)
        {
            var read = await peer.ReceiveAsync(buffer.AsMemory(received), SocketFlags.None);
            if (read == 0)
            {
                throw new EndOfStreamException($"the stream ended after {received} of {count} bytes");
            }
            received += read;
        }
        return buffer;
    }

    private static void WritePattern(PipeWriter output, int count)
    {
        for (var written = 0; written < count;)
        {
            var span = output.GetSpan(1);
            var length = Math.Min(span.Length, count - written);
            for (var i = 0; i < length; i++)
            {
                span[i] = TestPattern.At(written + i);
            }
            output.Advance(length);
            written += length;
        }
    }

    [Fact]
    public async Task Read_ManySendsInRandomPieces_ReceivesExactlyWhatWasSentInOrder()
    {
        using var harness = new LoopTestHarness();
        var (connection, peer) = await harness.ConnectAsync();
        using (peer)
        {
            var data = TestPattern.Create(4 * MiB);
            var reading = harness.OnLoop(() => ReadAsync(connection.Input, data.Length));
            await SendInPiecesAsync(peer, data, seed: 17);
            var (bytes, reads, ended) = await reading;

            Assert.False(ended);
            Assert.Equal(data.Length, bytes.Length);
            Assert.Equal(-1, TestPattern.FirstMismatch(bytes, 0));
            Assert.True(reads > 1, $"4 MiB arrived in {reads} read(s)");
            await harness.CloseAsync(connection);
        }
    }

    [Fact]
    public async Task Read_ConsumerWaitsForMoreThanSeveralBlocks_BufferedBytesStayInOrder()
    {
        using var harness = new LoopTestHarness();
        var (connection, peer) = await harness.ConnectAsync();
        using (peer)
        {
            const int Wanted = 200 * 1024;
            var data = TestPattern.Create(Wanted);
            // Nothing is consumed until all of it is there: the reader keeps blocks chained.
            var reading = harness.OnLoop(async () =>
            {
                while (true)
                {
                    var result = await connection.Input.ReadAsync();
                    if (result.Buffer.Length >= Wanted || result.IsCompleted)
                    {
                        var bytes = result.Buffer.ToArray();
                        connection.Input.AdvanceTo(result.Buffer.End);
                        return bytes;
                    }
                    connection.Input.AdvanceTo(result.Buffer.Start, result.Buffer.End);
                }
            });
            await SendInPiecesAsync(peer, data, seed: 3);
            var received = await reading;

            Assert.Equal(Wanted, received.Length);
            Assert.Equal(-1, TestPattern.FirstMismatch(received, 0));
            Assert.False(await harness.OnLoop(() => connection.HoldsBuffers));
            await harness.CloseAsync(connection);
        }
    }

    [Fact]
    public async Task Read_ConsumedInSmallSteps_EveryByteOnceInOrder()
    {
        using var harness = new LoopTestHarness();
        var (connection, peer) = await harness.ConnectAsync();
        using (peer)
        {
            var data = TestPattern.Create(1 * MiB);
            // Each read consumes at most 1000 bytes and examines only those: the rest comes back at once.
            var reading = harness.OnLoop(async () =>
            {
                var received = new ArrayBufferWriter<byte>(data.Length);
                while (received.WrittenCount < data.Length)
                {
                    var result = await connection.Input.ReadAsync();
                    var take = result.Buffer.Slice(0, Math.Min(1000, result.Buffer.Length));
                    foreach (var segment in take)
                    {
                        received.Write(segment.Span);
                    }
                    connection.Input.AdvanceTo(take.End, take.End);
                    if (result.IsCompleted && take.Length == result.Buffer.Length)
                    {
                        break;
                    }
                }
                return received.WrittenSpan.ToArray();
            });
            await SendInPiecesAsync(peer, data, seed: 5);
            var bytes = await reading;

            Assert.Equal(data.Length, bytes.Length);
            Assert.Equal(-1, TestPattern.FirstMismatch(bytes, 0));
            await harness.CloseAsync(connection);
        }
    }

    [Fact]
    public async Task HoldsBuffers_IdleAndAfterEverythingConsumedAndSent_False()
    {
        using var harness = new LoopTestHarness();
        var (connection, peer) = await harness.ConnectAsync();
        using (peer)
        {
            Assert.False(await harness.OnLoop(() => connection.HoldsBuffers));

            await peer.SendAsync(Encoding.ASCII.GetBytes("ping ping ping"), SocketFlags.None);
            var afterRead = await harness.OnLoop(async () =>
            {
                var (bytes, _, _) = await ReadAsync(connection.Input, 14);
                return (Encoding.ASCII.GetString(bytes), connection.HoldsBuffers);
            });
            Assert.Equal(("ping ping ping", false), afterRead);

            await harness.OnLoop(async () =>
            {
                connection.Output.Write("pong"u8);
                await connection.Output.FlushAsync();
                return true;
            });
            Assert.Equal("pong", Encoding.ASCII.GetString(await ReceiveExactlyAsync(peer, 4)));
            // Sent at the end of the turn that flushed; asked on a later turn.
            Assert.False(await harness.OnLoop(() => connection.HoldsBuffers));

            // A read waiting for bytes that have not come holds nothing either.
            var pending = harness.OnLoop(() => connection.Input.ReadAsync());
            Assert.False(await harness.OnLoop(() => connection.HoldsBuffers));
            await harness.OnLoop(() =>
            {
                connection.Input.CancelPendingRead();
                return true;
            });
            Assert.True((await pending).IsCanceled);
            await harness.CloseAsync(connection);
        }
    }

    [Fact]
    public async Task Flush_PeerNotReading_StaysPendingUntilPeerReadsThenEveryByteArrivesInOrder()
    {
        using var harness = new LoopTestHarness();
        var (connection, peer) = await harness.ConnectAsync(peerReceiveBuffer: 64 * 1024);
        using (peer)
        {
            // Well past what the kernel buffers on both ends (send buffer up to 4 MiB, the peer's fixed at 64 KiB).
            const int Size = 16 * MiB;
            Task<FlushResult>? flush = null;
            var pendingAtOnce = await harness.OnLoop(() =>
            {
                WritePattern(connection.Output, Size);
                var task = connection.Output.FlushAsync();
                flush = task.AsTask();
                return !task.IsCompleted;
            });
            Assert.True(pendingAtOnce, "a 16 MiB flush to a peer that does not read completed at once");
            Assert.True(await harness.OnLoop(() => connection.HoldsBuffers));
            Assert.False(flush!.IsCompleted);

            var received = await ReceiveExactlyAsync(peer, Size);
            var result = await flush.WaitAsync(LoopTestHarness.Bound);

            Assert.False(result.IsCanceled);
            Assert.Equal(-1, TestPattern.FirstMismatch(received, 0));
            Assert.False(await harness.OnLoop(() => connection.HoldsBuffers));
            await harness.CloseAsync(connection);
        }
    }

    [Fact]
    public async Task CancelPendingRead_ReadWaiting_CompletesWithIsCanceledAndNextReadGetsBytes()
    {
        using var harness = new LoopTestHarness();
        var (connection, peer) = await harness.ConnectAsync();
        using (peer)
        {
            var pending = harness.OnLoop(() => connection.Input.ReadAsync());
            await harness.OnLoop(() =>
            {
                connection.Input.CancelPendingRead();
                return true;
            });
            var canceled = await pending;
            Assert.True(canceled.IsCanceled);
            Assert.False(canceled.IsCompleted);
            await harness.OnLoop(() =>
            {
                connection.Input.AdvanceTo(canceled.Buffer.End);
                return true;
            });

            var reading = harness.OnLoop(() => ReadAsync(connection.Input, 5));
            await peer.SendAsync(Encoding.ASCII.GetBytes("after"), SocketFlags.None);
            Assert.Equal("after", Encoding.ASCII.GetString((await reading).Bytes));
            await harness.CloseAsync(connection);
        }
    }

    [Fact]
    public async Task Read_PeerShutsDownSending_LastBytesThenCompletedAndConnectionStillSends()
    {
        using var harness = new LoopTestHarness();
        var (connection, peer) = await harness.ConnectAsync();
        using (peer)
        {
            var reading = harness.OnLoop(() => ReadAsync(connection.Input, int.MaxValue));
            await peer.SendAsync(Encoding.ASCII.GetBytes("last words"), SocketFlags.None);
            peer.Shutdown(SocketShutdown.Send);
            var (bytes, _, ended) = await reading;
            Assert.True(ended);
            Assert.Equal("last words", Encoding.ASCII.GetString(bytes));

            // The other direction is still open: the answer reaches the peer, then the end of it.
            await harness.OnLoop(async () =>
            {
                connection.Output.Write("the answer"u8);
                await connection.Output.FlushAsync();
                connection.Output.Complete();
                return true;
            });
            Assert.Equal("the answer", Encoding.ASCII.GetString(await ReceiveExactlyAsync(peer, 10)));
            Assert.Equal(0, await peer.ReceiveAsync(new byte[16], SocketFlags.None).WaitAsync(LoopTestHarness.Bound));
            await harness.CloseAsync(connection);
        }
    }

    [Fact]
    public async Task Complete_UnflushedBytes_PeerReadsThemThenEndOfStream()
    {
        using var harness = new LoopTestHarness();
        var (connection, peer) = await harness.ConnectAsync();
        using (peer)
        {
            await harness.OnLoop(() =>
            {
                connection.Output.Write("never flushed"u8);
                connection.Output.Complete();
                return true;
            });
            Assert.Equal("never flushed", Encoding.ASCII.GetString(await ReceiveExactlyAsync(peer, 13)));
            Assert.Equal(0, await peer.ReceiveAsync(new byte[16], SocketFlags.None).WaitAsync(LoopTestHarness.Bound));
            await harness.CloseAsync(connection);
        }
    }

    [Fact]
    public async Task Complete_MemoryTakenButNothingWritten_PeerReadsEndOfStream()
    {
        using var harness = new LoopTestHarness();
        var (connection, peer) = await harness.ConnectAsync();
        using (peer)
        {
            // A writer may ask for memory and then have nothing to write; completing still ends the stream.
            await harness.OnLoop(() =>
            {
                connection.Output.GetMemory(100);
                connection.Output.Complete();
                return true;
            });
            Assert.Equal(0, await peer.ReceiveAsync(new byte[16], SocketFlags.None).WaitAsync(LoopTestHarness.Bound));
            Assert.False(await harness.OnLoop(() => connection.HoldsBuffers));
            await harness.CloseAsync(connection);
        }
    }

    [Fact]
    public async Task Write_OneSpanLargerThanABlock_PeerGetsItIntact()
    {
        using var harness = new LoopTestHarness();
        var (connection, peer) = await harness.ConnectAsync();
        using (peer)
        {
            var data = TestPattern.Create(100 * 1024);
            var receiving = ReceiveExactlyAsync(peer, data.Length);
            await harness.OnLoop(async () =>
            {
                var span = connection.Output.GetSpan(data.Length);
                data.CopyTo(span);
                connection.Output.Advance(data.Length);
                await connection.Output.FlushAsync();
                return true;
            });
            Assert.Equal(-1, TestPattern.FirstMismatch(await receiving, 0));
            Assert.False(await harness.OnLoop(() => connection.HoldsBuffers));
            await harness.CloseAsync(connection);
        }
    }

    [Fact]
    public async Task Dispose_FromAnotherThreadWhileReadPending_ReadFailsAndPeerSeesTheEnd()
    {
        using var harness = new LoopTestHarness();
        var (connection, peer) = await harness.ConnectAsync();
        using (peer)
        {
            var pending = harness.OnLoop(() => connection.Input.ReadAsync());
            Assert.False(pending.IsCompleted);

            connection.Dispose();

            var error = await Assert.ThrowsAsync<SocketException>(() => pending);
            Assert.Equal(SocketError.OperationAborted, error.SocketErrorCode);
            Assert.Equal(0, await peer.ReceiveAsync(new byte[16], SocketFlags.None).WaitAsync(LoopTestHarness.Bound));
            Assert.Equal(0, await harness.OnLoop(() => harness.Loop.Registered));
        }
    }

    [Fact]
    public async Task Read_PeerResets_PendingReadFailsWithSocketException()
    {
        using var harness = new LoopTestHarness();
        var (connection, peer) = await harness.ConnectAsync();
        var pending = harness.OnLoop(() => connection.Input.ReadAsync());
        Assert.False(pending.IsCompleted);

        peer.LingerState = new LingerOption(true, 0);
        peer.Close();

        var error = await Assert.ThrowsAsync<SocketException>(() => pending);
        Assert.Equal(SocketError.ConnectionReset, error.SocketErrorCode);
        await harness.CloseAsync(connection);
    }

    [Fact]
    public async Task Flush_PeerResetsWhileFlushPending_FailsWithSocketException()
    {
        using var harness = new LoopTestHarness();
        var (connection, peer) = await harness.ConnectAsync(peerReceiveBuffer: 64 * 1024);
        var flush = await harness.OnLoop(() =>
        {
            WritePattern(connection.Output, 16 * MiB);
            return connection.Output.FlushAsync().AsTask();
        });
        Assert.False(flush.IsCompleted);

        peer.LingerState = new LingerOption(true, 0);
        peer.Close();

        var error = await Assert.ThrowsAsync<SocketException>(() => flush.WaitAsync(LoopTestHarness.Bound));
        Assert.Contains(error.SocketErrorCode, new[] { SocketError.ConnectionReset, SocketError.Shutdown });
        Assert.False(await harness.OnLoop(() => connection.HoldsBuffers));
        await harness.CloseAsync(connection);
    }

    [Fact]
    public async Task ConnectAsync_ClosedPort_FailsWithConnectionRefused()
    {
        using var harness = new LoopTestHarness();
        // Bound and not listening: the port stays ours and nothing accepts on it.
        using var closed = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        closed.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var endPoint = (IPEndPoint)closed.LocalEndPoint!;

        var error = await Assert.ThrowsAsync<SocketException>(
            () => harness.OnLoop(() => EpollConnection.ConnectAsync(harness.Loop, endPoint, TimeSpan.FromSeconds(10))));
        Assert.Equal(SocketError.ConnectionRefused, error.SocketErrorCode);
        Assert.Equal(0, await harness.OnLoop(() => harness.Loop.Registered));
    }

    /// <summary>
    /// Connections waiting in the accept queue of the loopback listener on <paramref name="port"/>,
    /// as the kernel reports them in /proc/net/tcp (rx_queue of the socket in LISTEN, state 0A).
    /// </summary>
    private static int AcceptQueueLength(int port)
    {
        foreach (var line in File.ReadLines("/proc/net/tcp").Skip(1))
        {
            var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            var local = fields[1].Split(':');
            if (fields[3] == "0A" && local[0] == "0100007F" && int.Parse(local[1], System.Globalization.NumberStyles.HexNumber) == port)
            {
                return int.Parse(fields[4].Split(':')[1], System.Globalization.NumberStyles.HexNumber);
            }
        }
        throw new InvalidOperationException($"no listening socket on 127.0.0.1:{port} in /proc/net/tcp");
    }

    [Fact]
    public async Task ConnectAsync_ListenerQueueFull_FailsWithOperationCanceled()
    {
        using var harness = new LoopTestHarness();
        // A backlog of 1 that nobody accepts from: once its queue is full, Linux drops further
        // SYNs (they are retried after a second, and dropped again), so a connect neither
        // succeeds nor is refused. Linux counts the queue full once it holds more than the backlog.
        const int Backlog = 1;
        using var full = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        full.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        full.Listen(Backlog);
        var endPoint = (IPEndPoint)full.LocalEndPoint!;
        var fillers = new List<Socket>();
        try
        {
            var queueFull = false;
            for (var i = 0; i < 16 && !queueFull; i++)
            {
                var filler = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                fillers.Add(filler);
                try
                {
                    // Completes at once while the queue has room (the SYN is answered).
                    await filler.ConnectAsync(endPoint).WaitAsync(TimeSpan.FromSeconds(3));
                }
                catch (TimeoutException)
                {
                    // Its SYN was dropped (and retried): the queue is full already.
                    queueFull = true;
                    break;
                }
                // The connection joins the accept queue with the handshake's last ACK: wait for it.
                using var settle = new CancellationTokenSource(LoopTestHarness.Bound);
                int queued;
                while ((queued = AcceptQueueLength(endPoint.Port)) < fillers.Count)
                {
                    await Task.Delay(10, settle.Token);
                }
                queueFull = queued > Backlog;
            }
            Assert.True(queueFull, "16 connections did not fill the accept queue of a listener with backlog 1");

            var connecting = harness.OnLoop(() => EpollConnection.ConnectAsync(harness.Loop, endPoint, TimeSpan.FromMilliseconds(300)));
            await Assert.ThrowsAsync<OperationCanceledException>(() => connecting);
            Assert.Equal(0, await harness.OnLoop(() => harness.Loop.Registered));
        }
        finally
        {
            foreach (var filler in fillers)
            {
                filler.Dispose();
            }
        }
    }
}
