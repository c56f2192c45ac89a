using System.Buffers;
using System.IO.Pipelines;
using FastGate.Core.Transport;
using FastGate.Core.Transport.Epoll;
using FastGate.Core.Tests.Transport.Epoll;
using FastGate.Proxy.Forwarding.Http2;
using FastGate.Proxy.Tests.Forwarding;

namespace FastGate.Proxy.Tests.Http2;

/// <summary>
/// The bridge of a stream of a connection on an event loop: loop pipes whose exchange side is
/// woken after the events at hand, that give every block back once a life is over, and that a
/// reused stream finds empty. Each step runs on the loop thread, as the read loop, the pump and
/// the exchange do.
/// </summary>
public sealed class Http2StreamTransportTests : IDisposable
{
    private readonly LoopTestHarness _harness = new();
    private readonly TestGateway _gateway = new(TestGateway.OneRouteConfig());

    public void Dispose()
    {
        _harness.Dispose();
        _gateway.Dispose();
    }

    /// <summary>A stream of a connection (not started) whose transport is bound to the test's loop.</summary>
    private Http2Stream NewStream()
    {
        var (_, server) = InMemoryTransport.CreatePair();
        var connection = new Http2Connection(new LoopBoundTransport(server, _harness.Loop), "127.0.0.1:1"u8.ToArray(), _gateway.Gateway, "web", null, null, null);
        var stream = new Http2Stream(connection);
        stream.Open(1, 65535, 65535, remoteEnded: false);
        return stream;
    }

    private Task<T> OnLoop<T>(Func<ValueTask<T>> action) => _harness.OnLoop(action);

    /// <summary>One life: a request body in, a response out, every end completed as a whole exchange does.</summary>
    private static async ValueTask<(bool ReadInline, string Request, string Response)> LiveAsync(Http2StreamTransport bridge, string request, string response)
    {
        var reading = bridge.Input.ReadAsync();
        bridge.RequestWriter.Write(System.Text.Encoding.ASCII.GetBytes(request));
        _ = bridge.RequestWriter.FlushAsync();
        // The exchange runs after the read loop's turn, never nested in the DATA that woke it.
        var readInline = reading.IsCompleted;
        var read = await reading;
        var requestSeen = System.Text.Encoding.ASCII.GetString(read.Buffer.ToArray());
        bridge.Input.AdvanceTo(read.Buffer.End);

        var pumping = bridge.ResponseReader.ReadAsync();
        bridge.Output.Write(System.Text.Encoding.ASCII.GetBytes(response));
        await bridge.Output.FlushAsync();
        var pumped = await pumping;
        var responseSeen = System.Text.Encoding.ASCII.GetString(pumped.Buffer.ToArray());
        bridge.ResponseReader.AdvanceTo(pumped.Buffer.End);

        bridge.RequestWriter.Complete();
        bridge.Dispose();
        bridge.CompleteResponseReader();
        return (readInline, requestSeen, responseSeen);
    }

    [Fact]
    public async Task Reuse_AfterALifeOnALoop_HoldsNoBlockAndTheNextLifeSeesOnlyItsOwnBytes()
    {
        var (first, holdsAfterFirst, second, holdsAfterSecond) = await OnLoop(async () =>
        {
            var stream = NewStream();
            var bridge = stream.Bridge;
            var one = await LiveAsync(bridge, "ping", "HTTP/1.1 200 OK\r\n\r\n");
            var holdsOne = bridge.HoldsBuffers;
            // A reset that came after the pump was done: its cancel must not reach the next life.
            bridge.ResponseReader.CancelPendingRead();
            bridge.Reuse(requestWriterDone: true);
            var two = await LiveAsync(bridge, "pong", "HTTP/1.1 204 No Content\r\n\r\n");
            var holdsTwo = bridge.HoldsBuffers;
            return (one, holdsOne, two, holdsTwo);
        });
        Assert.False(first.ReadInline);
        Assert.Equal("ping", first.Request);
        Assert.Equal("HTTP/1.1 200 OK\r\n\r\n", first.Response);
        Assert.False(holdsAfterFirst);
        Assert.False(second.ReadInline);
        Assert.Equal("pong", second.Request);
        Assert.Equal("HTTP/1.1 204 No Content\r\n\r\n", second.Response);
        Assert.False(holdsAfterSecond);
    }

    [Fact]
    public async Task Reuse_AfterALifeCutShort_CompletesTheOpenEndsAndGivesTheirBlocksBack()
    {
        var (holdsBefore, holdsAfter, request) = await OnLoop(async () =>
        {
            var stream = NewStream();
            var bridge = stream.Bridge;
            // Bytes left in both pipes and no end completed: a stream reset mid-exchange.
            bridge.RequestWriter.Write("unread"u8);
            _ = bridge.RequestWriter.FlushAsync();
            bridge.Output.Write("HTTP/1.1 200 OK\r\n"u8);
            await bridge.Output.FlushAsync();
            var before = bridge.HoldsBuffers;
            bridge.Reuse(requestWriterDone: false);
            var after = bridge.HoldsBuffers;
            var next = await LiveAsync(bridge, "fresh", "HTTP/1.1 200 OK\r\n\r\n");
            return (before, after, next.Request);
        });
        Assert.True(holdsBefore);
        Assert.False(holdsAfter);
        Assert.Equal("fresh", request);
    }

    [Fact]
    public async Task Output_PastThePauseThreshold_TheExchangeWaitsForThePumpAndResumesAfterTheTurn()
    {
        var (waits, resumedInline, resumed) = await OnLoop(async () =>
        {
            var bridge = NewStream().Bridge;
            bridge.Output.Write(new byte[64 * 1024]);
            var flushing = bridge.Output.FlushAsync();
            var waiting = !flushing.IsCompleted;
            var pumped = await bridge.ResponseReader.ReadAsync();
            bridge.ResponseReader.AdvanceTo(pumped.Buffer.End);
            var inline = flushing.IsCompleted;
            var flushed = await flushing;
            return (waiting, inline, !flushed.IsCompleted && !flushed.IsCanceled);
        });
        Assert.True(waits);
        Assert.False(resumedInline);
        Assert.True(resumed);
    }

    /// <summary>An in-memory transport that says it belongs to a loop, as an epoll connection does.</summary>
    private sealed class LoopBoundTransport(ITransport inner, EventLoop loop) : ITransport, ILoopBound
    {
        public PipeReader Input => inner.Input;

        public PipeWriter Output => inner.Output;

        public EventLoop? Loop => loop;

        public void Dispose() => inner.Dispose();
    }
}
