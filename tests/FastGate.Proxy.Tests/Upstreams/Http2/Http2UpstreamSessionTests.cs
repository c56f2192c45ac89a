using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Text;
using FastGate.Core.Http2;
using FastGate.Core.Transport;
using FastGate.Proxy.Observability;
using FastGate.Proxy.Upstreams.Http2;

namespace FastGate.Proxy.Tests.Upstreams.Http2;

/// <summary>
/// One upstream HTTP/2 session against a server played frame by frame: how an HTTP/1.1 request
/// written into a stream goes out, how the server's frames come back as an HTTP/1.1 response,
/// and what GOAWAY, RST_STREAM, malformed fields and running out of stream ids do.
/// </summary>
public sealed class Http2UpstreamSessionTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    private readonly Http2UpstreamMetrics _metrics = new();

    private async Task<(Http2UpstreamSession Session, FakeHttp2Server Server)> StartAsync(int maxStreams = 100, params Http2Setting[] settings)
    {
        var (client, server) = InMemoryTransport.CreatePair();
        var session = new Http2UpstreamSession(client, tls: false, maxStreams, new IPEndPoint(IPAddress.Loopback, 1), _metrics);
        var fake = new FakeHttp2Server(server);
        var started = session.StartAsync(Wait);
        await fake.HandshakeAsync(settings);
        await started.WaitAsync(Wait);
        return (session, fake);
    }

    private static async Task SendAsync(PipeWriter output, string text)
    {
        await output.WriteAsync(Encoding.Latin1.GetBytes(text));
    }

    /// <summary>Reads the stream's HTTP/1.1 response text until the pipe completes.</summary>
    private static async Task<string> ReadAllAsync(PipeReader input)
    {
        using var cts = new CancellationTokenSource(Wait);
        var text = new StringBuilder();
        while (true)
        {
            var result = await input.ReadAsync(cts.Token);
            foreach (var segment in result.Buffer)
            {
                text.Append(Encoding.Latin1.GetString(segment.Span));
            }
            input.AdvanceTo(result.Buffer.End);
            if (result.IsCompleted)
            {
                return text.ToString();
            }
        }
    }

    [Fact]
    public async Task Get_SentAsHeadersWithPseudoFields_ResponseReadAsHttp11()
    {
        var (session, server) = await StartAsync();
        var stream = session.TryOpenStream()!;

        await SendAsync(stream.Output, "GET /a?b=1 HTTP/1.1\r\nHost: api.test\r\nConnection: keep-alive\r\nX-Id: 7\r\nVia: 1.1 fastgate\r\n\r\n");
        var headers = await server.ReadStreamFrameAsync();
        var fields = server.Decode(headers);
        await server.SendHeadersAsync(headers.StreamId, false, (":status", "200"), ("content-type", "text/plain"));
        await server.SendDataAsync(headers.StreamId, "hello", endStream: true);
        var response = await ReadAllAsync(stream.Input);

        Assert.Equal(1, headers.StreamId);
        Assert.True(headers.EndStream);
        Assert.Equal(
            [(":method", "GET"), (":scheme", "http"), (":authority", "api.test"), (":path", "/a?b=1"), ("x-id", "7"), ("via", "1.1 fastgate")],
            fields);
        Assert.Equal("HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ntransfer-encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n", response);
        stream.Dispose();
    }

    [Fact]
    public async Task ChunkedPostWithTrailers_DataThenTrailingHeaders()
    {
        var (session, server) = await StartAsync();
        var stream = session.TryOpenStream()!;

        await SendAsync(stream.Output, "POST /p HTTP/1.1\r\nHost: h\r\nContent-Type: application/grpc\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\nx-sum: 9\r\n\r\n");
        var headers = await server.ReadStreamFrameAsync();
        var fields = server.Decode(headers);
        var data = new StringBuilder();
        FakeHttp2Server.Frame frame;
        while ((frame = await server.ReadStreamFrameAsync()).Type == Http2FrameType.Data)
        {
            Assert.False(frame.EndStream);
            data.Append(Encoding.Latin1.GetString(frame.Payload));
        }
        var trailers = server.Decode(frame);

        Assert.False(headers.EndStream);
        Assert.DoesNotContain(fields, f => f.Name == "transfer-encoding");
        // gRPC servers refuse a call without it (RFC 9113 §8.2.2 allows te: trailers only).
        Assert.Contains(("te", "trailers"), fields);
        Assert.Equal("abcde", data.ToString());
        Assert.True(frame.EndStream);
        Assert.Equal([("x-sum", "9")], trailers);
        stream.Dispose();
    }

    [Fact]
    public async Task ResponseTrailers_BecomeTheChunkedTrailerSection()
    {
        var (session, server) = await StartAsync();
        var stream = session.TryOpenStream()!;
        await SendAsync(stream.Output, "POST /s/M HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\n\r\nhi");
        var headers = await server.ReadStreamFrameAsync();
        var data = await server.ReadStreamFrameAsync();

        await server.SendHeadersAsync(headers.StreamId, false, (":status", "200"), ("content-type", "application/grpc"));
        await server.SendDataAsync(headers.StreamId, "\0\0\0\0\x01z", endStream: false);
        await server.SendHeadersAsync(headers.StreamId, true, ("grpc-status", "0"), ("grpc-message", "ok"));
        var response = await ReadAllAsync(stream.Input);

        Assert.Equal("hi", Encoding.Latin1.GetString(data.Payload));
        Assert.True(data.EndStream);
        Assert.Equal("HTTP/1.1 200 OK\r\ncontent-type: application/grpc\r\ntransfer-encoding: chunked\r\n\r\n6\r\n\0\0\0\0\x01z\r\n0\r\ngrpc-status: 0\r\ngrpc-message: ok\r\n\r\n", response);
        stream.Dispose();
    }

    [Fact]
    public async Task ResponseWithContentLength_PassedAsIs()
    {
        var (session, server) = await StartAsync();
        var stream = session.TryOpenStream()!;
        await SendAsync(stream.Output, "GET / HTTP/1.1\r\nHost: h\r\n\r\n");
        var headers = await server.ReadStreamFrameAsync();

        await server.SendHeadersAsync(headers.StreamId, false, (":status", "404"), ("content-length", "3"));
        await server.SendDataAsync(headers.StreamId, "no!", endStream: true);

        Assert.Equal("HTTP/1.1 404 Not Found\r\ncontent-length: 3\r\n\r\nno!", await ReadAllAsync(stream.Input));
        stream.Dispose();
    }

    [Theory]
    [InlineData("x-bad", "a\r\nInjected: yes")]
    [InlineData(":status", "204")]
    [InlineData(":path", "/")]
    public async Task MalformedResponseField_StreamResetAndExchangeFails(string name, string value)
    {
        var (session, server) = await StartAsync();
        var stream = session.TryOpenStream()!;
        await SendAsync(stream.Output, "GET / HTTP/1.1\r\nHost: h\r\n\r\n");
        var headers = await server.ReadStreamFrameAsync();

        await server.SendHeadersAsync(headers.StreamId, false, (":status", "200"), (name, value));
        var reset = await server.ReadStreamFrameAsync();

        Assert.Equal(Http2FrameType.RstStream, reset.Type);
        Assert.Equal(headers.StreamId, reset.StreamId);
        await Assert.ThrowsAsync<IOException>(() => ReadAllAsync(stream.Input));
        stream.Dispose();
        // The connection goes on: another stream works.
        var next = session.TryOpenStream()!;
        await SendAsync(next.Output, "GET / HTTP/1.1\r\nHost: h\r\n\r\n");
        var again = await server.ReadStreamFrameAsync();
        await server.SendHeadersAsync(again.StreamId, true, (":status", "204"));
        Assert.Equal("HTTP/1.1 204 No Content\r\n\r\n", await ReadAllAsync(next.Input));
        next.Dispose();
    }

    [Fact]
    public async Task GoAway_StreamsAboveLastIdFail_LowerOnesFinish_NoNewStreams()
    {
        var (session, server) = await StartAsync();
        var first = session.TryOpenStream()!;
        var second = session.TryOpenStream()!;
        await SendAsync(first.Output, "GET /1 HTTP/1.1\r\nHost: h\r\n\r\n");
        var one = await server.ReadStreamFrameAsync();
        await SendAsync(second.Output, "GET /2 HTTP/1.1\r\nHost: h\r\n\r\n");
        var two = await server.ReadStreamFrameAsync();

        await server.SendGoAwayAsync(lastStreamId: one.StreamId);
        await Assert.ThrowsAsync<IOException>(() => ReadAllAsync(second.Input));
        await server.SendHeadersAsync(one.StreamId, true, (":status", "200"));

        Assert.Equal(3, two.StreamId);
        Assert.Equal("HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n", await ReadAllAsync(first.Input));
        Assert.Null(session.TryOpenStream());
        Assert.Equal(1, _metrics.GoAwaysReceived);
        first.Dispose();
        second.Dispose();
        // The last stream gone, the session says GOAWAY itself and closes.
        Assert.Equal(Http2FrameType.GoAway, (await server.ReadStreamFrameAsync()).Type);
    }

    /// <summary>
    /// A stream whose request side failed (a broken body) fails its response from the exchange's
    /// thread while the stream is still open on the session: the response the server had in
    /// flight for it is dropped, and the session and its other streams go on.
    /// </summary>
    [Fact]
    public async Task ResponseFailedFromRequestSide_FramesInFlightDropped_OtherStreamsGoOn()
    {
        var (session, server) = await StartAsync();
        var broken = session.TryOpenStream()!;
        var other = session.TryOpenStream()!;
        await SendAsync(broken.Output, "POST /p HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n");
        var brokenHeaders = await server.ReadStreamFrameAsync();
        await SendAsync(other.Output, "GET /o HTTP/1.1\r\nHost: h\r\n\r\n");
        var otherHeaders = await server.ReadStreamFrameAsync();

        // Not a chunk size: the request cannot go on, and the exchange's read of the response fails.
        await SendAsync(broken.Output, "zz\r\n");
        await Assert.ThrowsAsync<IOException>(() => ReadAllAsync(broken.Input));
        // Sent by the server before it saw the reset, read while the exchange still holds the stream.
        await server.SendHeadersAsync(brokenHeaders.StreamId, false, (":status", "200"));
        await server.SendDataAsync(brokenHeaders.StreamId, "late", endStream: true);
        await server.SendHeadersAsync(otherHeaders.StreamId, false, (":status", "200"), ("content-length", "2"));
        await server.SendDataAsync(otherHeaders.StreamId, "ok", endStream: true);
        var response = await ReadAllAsync(other.Input);

        Assert.Equal("HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok", response);
        Assert.False(session.IsClosed);
        broken.Dispose();
        other.Dispose();
    }

    [Fact]
    public async Task RefusedStream_ExchangeFailsBeforeAnyResponse()
    {
        var (session, server) = await StartAsync();
        var stream = session.TryOpenStream()!;
        await SendAsync(stream.Output, "GET / HTTP/1.1\r\nHost: h\r\n\r\n");
        var headers = await server.ReadStreamFrameAsync();

        await server.SendRstStreamAsync(headers.StreamId, Http2ErrorCode.RefusedStream);

        var error = await Assert.ThrowsAsync<IOException>(() => ReadAllAsync(stream.Input));
        Assert.Contains("RefusedStream", error.Message);
        stream.Dispose();
        Assert.NotNull(session.TryOpenStream());
    }

    [Fact]
    public async Task StreamIdsRunOut_SessionTakesNoNewStreamAndCountsIt()
    {
        var (session, server) = await StartAsync();
        session.NextStreamId = int.MaxValue - 2;
        var last = session.TryOpenStream()!;
        var veryLast = session.TryOpenStream()!;

        Assert.Null(session.TryOpenStream());
        Assert.Equal(1, _metrics.StreamIdExhaustion);
        Assert.True(session.IsDraining);

        await SendAsync(last.Output, "GET / HTTP/1.1\r\nHost: h\r\n\r\n");
        await SendAsync(veryLast.Output, "GET / HTTP/1.1\r\nHost: h\r\n\r\n");
        var a = await server.ReadStreamFrameAsync();
        var b = await server.ReadStreamFrameAsync();
        Assert.Equal(int.MaxValue - 2, a.StreamId);
        Assert.Equal(int.MaxValue, b.StreamId);
        await server.SendHeadersAsync(a.StreamId, true, (":status", "200"));
        await server.SendHeadersAsync(b.StreamId, true, (":status", "200"));
        Assert.StartsWith("HTTP/1.1 200 OK\r\n", await ReadAllAsync(last.Input));
        Assert.StartsWith("HTTP/1.1 200 OK\r\n", await ReadAllAsync(veryLast.Input));
        last.Dispose();
        veryLast.Dispose();
        Assert.Equal(Http2FrameType.GoAway, (await server.ReadStreamFrameAsync()).Type);
    }

    [Fact]
    public async Task ServerMaxConcurrentStreams_CapsAdmission()
    {
        var (session, server) = await StartAsync(100, new Http2Setting(Http2SettingId.MaxConcurrentStreams, 2));
        _ = server;
        var a = session.TryOpenStream();
        var b = session.TryOpenStream();

        Assert.NotNull(a);
        Assert.NotNull(b);
        Assert.Null(session.TryOpenStream());
        a!.Dispose();
        Assert.NotNull(session.TryOpenStream());
    }

    [Fact]
    public async Task LargeResponse_WindowGivenBackOnlyWhileLittleIsUnread()
    {
        var (session, server) = await StartAsync();
        var stream = session.TryOpenStream()!;
        await SendAsync(stream.Output, "GET / HTTP/1.1\r\nHost: h\r\n\r\n");
        var headers = await server.ReadStreamFrameAsync();
        await server.SendHeadersAsync(headers.StreamId, false, (":status", "200"), ("content-length", "4194304"));
        var chunk = new string('x', 16 * 1024);
        // A whole stream window (1 MiB) sent while the exchange reads nothing.
        for (var i = 0; i < 64; i++)
        {
            await server.SendDataAsync(headers.StreamId, chunk, endStream: false);
        }
        // The session handles frames in order and queues its answers in order: what it sent
        // before the PING's ACK is all it had to say about the 64 DATA frames.
        await server.SendPingAsync(42);
        var credited = await StreamCreditUntilPingAckAsync(server, headers.StreamId);

        // Window goes back only while at most half a window waits unread, so a reader that stops
        // holds at most a window and a half, however much the server has to send.
        Assert.InRange(credited, 1, Http2UpstreamSession.StreamWindow / 2);

        var result = await stream.Input.ReadAsync();
        stream.Input.AdvanceTo(result.Buffer.End);
        await server.SendPingAsync(43);
        Assert.True(await StreamCreditUntilPingAckAsync(server, headers.StreamId) > 0, "no window came back once the exchange read");
        stream.Dispose();
    }

    /// <summary>The sum of the stream WINDOW_UPDATE increments the session sent before its next PING ACK.</summary>
    private static async Task<long> StreamCreditUntilPingAckAsync(FakeHttp2Server server, int streamId)
    {
        long credited = 0;
        while (true)
        {
            var frame = await server.ReadFrameAsync();
            if (frame.Type == Http2FrameType.Ping && frame.Header.Has(Http2Flags.Ack))
            {
                return credited;
            }
            if (frame.Type == Http2FrameType.WindowUpdate && frame.StreamId == streamId)
            {
                credited += System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(frame.Payload) & 0x7fffffff;
            }
        }
    }
}
