using System.Buffers;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using FastGate.Core.Transport;
using FastGate.Core.Transport.Epoll;
using Xunit.Abstractions;

namespace FastGate.Core.Tests.Transport.Epoll;

/// <summary>A <see cref="ConnectionListener"/> started on an <see cref="EventLoopGroup"/>, with real clients on loopback.</summary>
public class LoopAcceptorTests(ITestOutputHelper output)
{
    /// <summary>Echoes what each connection sends until the client closes; counts connections per loop.</summary>
    private sealed class EchoHandler(int loops) : IConnectionHandler
    {
        private int _open;
        private int _mostOpen;
        private int _capacityPauses;

        public int[] AcceptedPerLoop { get; } = new int[loops];

        public ConcurrentQueue<Exception> Errors { get; } = new();

        /// <summary>The most connections the handler held at once.</summary>
        public int MostOpen => Volatile.Read(ref _mostOpen);

        public int CapacityPauses => Volatile.Read(ref _capacityPauses);

        /// <summary>Completes once <paramref name="count"/> connections are open at the same time.</summary>
        public TaskCompletionSource OpenAtOnce { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public int OpenAtOnceCount { get; init; } = int.MaxValue;

        public void OnConnection(Socket socket, ConnectionListener listener) =>
            throw new InvalidOperationException("a listener started on loops hands transports, not sockets");

        public void OnConnection(ITransport transport, ReadOnlySpan<byte> clientIp, ConnectionListener listener)
        {
            Interlocked.Increment(ref AcceptedPerLoop[EventLoop.Current!.Index]);
            var open = Interlocked.Increment(ref _open);
            for (var most = Volatile.Read(ref _mostOpen); open > most; most = Volatile.Read(ref _mostOpen))
            {
                Interlocked.CompareExchange(ref _mostOpen, open, most);
            }
            if (open >= OpenAtOnceCount)
            {
                OpenAtOnce.TrySetResult();
            }
            _ = EchoAsync(transport, listener);
        }

        public void OnCapacityReached(ConnectionListener listener) => Interlocked.Increment(ref _capacityPauses);

        private async Task EchoAsync(ITransport transport, ConnectionListener listener)
        {
            try
            {
                while (true)
                {
                    var result = await transport.Input.ReadAsync();
                    var buffer = result.Buffer;
                    foreach (var segment in buffer)
                    {
                        transport.Output.Write(segment.Span);
                    }
                    transport.Input.AdvanceTo(buffer.End);
                    if (!buffer.IsEmpty)
                    {
                        await transport.Output.FlushAsync();
                    }
                    if (result.IsCompleted)
                    {
                        break;
                    }
                }
            }
            catch (Exception ex)
            {
                Errors.Enqueue(ex);
            }
            finally
            {
                Interlocked.Decrement(ref _open);
                transport.Dispose();
                listener.OnConnectionClosed();
            }
        }
    }

    /// <summary>Connects, sends 8 bytes naming the client, expects them back, closes; returns what came back.</summary>
    private static async Task<long> EchoClientAsync(IPEndPoint endPoint, long id, CancellationToken cancellationToken, Task? holdUntil = null)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(endPoint, cancellationToken);
        var message = BitConverter.GetBytes(id);
        await socket.SendAsync(message, SocketFlags.None, cancellationToken);
        var answer = new byte[8];
        var received = 0;
        while (received < answer.Length)
        {
            var read = await socket.ReceiveAsync(answer.AsMemory(received), SocketFlags.None, cancellationToken);
            if (read == 0)
            {
                throw new EndOfStreamException($"client {id}: the connection ended after {received} bytes");
            }
            received += read;
        }
        if (holdUntil is not null)
        {
            await holdUntil.WaitAsync(cancellationToken);
        }
        return BitConverter.ToInt64(answer);
    }

    private static async Task WaitForNoActiveConnectionsAsync(ConnectionListener listener)
    {
        using var timeout = new CancellationTokenSource(LoopTestHarness.Bound);
        while (listener.ActiveConnections != 0)
        {
            await Task.Delay(20, timeout.Token);
        }
    }

    [Fact]
    public async Task Accept_ThousandConcurrentClientsOnTwoLoops_AllServedSpreadOverLoopsAndReleased()
    {
        const int Clients = 1000;
        var loopErrors = new ConcurrentQueue<Exception>();
        using var group = new EventLoopGroup(2, loopErrors.Enqueue);
        var handler = new EchoHandler(2);
        var listener = new ConnectionListener(new IPEndPoint(IPAddress.Loopback, 0), backlog: 1024, maxConnections: 0, handler);
        try
        {
            listener.Start(group);
            using var timeout = new CancellationTokenSource(LoopTestHarness.Bound);
            var clients = Enumerable.Range(0, Clients).Select(i => Task.Run(() => EchoClientAsync(listener.EndPoint, i, timeout.Token))).ToArray();
            var answers = await Task.WhenAll(clients);
            output.WriteLine($"accepted per loop: {string.Join(", ", handler.AcceptedPerLoop)}");

            Assert.Equal(Enumerable.Range(0, Clients).Select(i => (long)i), answers);
            Assert.Equal(Clients, handler.AcceptedPerLoop.Sum());
            Assert.All(handler.AcceptedPerLoop, accepted => Assert.True(accepted > 0, $"accepted per loop: {string.Join(", ", handler.AcceptedPerLoop)}"));
            await WaitForNoActiveConnectionsAsync(listener);
            Assert.Empty(handler.Errors);
        }
        finally
        {
            listener.Stop();
        }
        Assert.All(group.Loops, loop => Assert.Equal(0, loop.Registered));
        Assert.Empty(loopErrors);
    }

    [Fact]
    public async Task Accept_ThirtyClientsOverMaxConnectionsOfTen_AllServedInTurnWithoutResets()
    {
        const int Clients = 30;
        var loopErrors = new ConcurrentQueue<Exception>();
        using var group = new EventLoopGroup(2, loopErrors.Enqueue);
        var handler = new EchoHandler(2) { OpenAtOnceCount = 10 };
        var listener = new ConnectionListener(new IPEndPoint(IPAddress.Loopback, 0), backlog: 64, maxConnections: 10, handler);
        try
        {
            listener.Start(group);
            using var timeout = new CancellationTokenSource(LoopTestHarness.Bound);
            // Each client, once answered, holds its connection until ten are open at once: the cap is
            // reached for sure, and the other twenty wait in the accept queue for a slot.
            var clients = Enumerable.Range(0, Clients).Select(i => Task.Run(() => EchoClientAsync(listener.EndPoint, i, timeout.Token, handler.OpenAtOnce.Task))).ToArray();
            var answers = await Task.WhenAll(clients);

            Assert.Equal(Enumerable.Range(0, Clients).Select(i => (long)i), answers);
            Assert.Equal(Clients, handler.AcceptedPerLoop.Sum());
            Assert.Equal(10, handler.MostOpen);
            Assert.True(handler.CapacityPauses >= 1, "the listener never reported reaching max_connections");
            await WaitForNoActiveConnectionsAsync(listener);
            Assert.Empty(handler.Errors);
        }
        finally
        {
            listener.Stop();
        }
        Assert.Empty(loopErrors);
    }
}
