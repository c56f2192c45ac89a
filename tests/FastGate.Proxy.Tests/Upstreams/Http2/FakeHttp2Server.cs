using System.Buffers;
using System.IO.Pipelines;
using System.Text;
using FastGate.Core.HPack;
using FastGate.Core.Http2;
using FastGate.Core.Transport;

namespace FastGate.Proxy.Tests.Upstreams.Http2;

/// <summary>
/// The server end of an in-memory HTTP/2 connection, driven frame by frame by a test: it reads
/// what the session sends (preface, frames, decoded header blocks) and writes what a server would,
/// so each step reads like the RFC's exchange.
/// </summary>
internal sealed class FakeHttp2Server(ITransport transport)
{
    private readonly HPackDecoder _decoder = new();
    private readonly HPackEncoder _encoder = new();
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    public PipeReader Input => transport.Input;

    public sealed record Frame(Http2FrameHeader Header, byte[] Payload)
    {
        public Http2FrameType Type => Header.Type;
        public int StreamId => Header.StreamId;
        public bool EndStream => Header.Has(Http2Flags.EndStream);
    }

    private sealed class Fields : IHPackHeaderSink
    {
        public List<(string Name, string Value)> List { get; } = [];

        public void OnHeader(ReadOnlySpan<byte> name, ReadOnlySpan<byte> value) =>
            List.Add((Encoding.Latin1.GetString(name), Encoding.Latin1.GetString(value)));
    }

    /// <summary>The client preface, then the client's SETTINGS and connection WINDOW_UPDATE; answers with <paramref name="settings"/> and an ACK.</summary>
    public async Task HandshakeAsync(params Http2Setting[] settings)
    {
        using var cts = new CancellationTokenSource(Wait);
        while (true)
        {
            var result = await Input.ReadAsync(cts.Token);
            if (result.Buffer.Length >= Http2FrameReader.ClientPreface.Length)
            {
                Assert.True(result.Buffer.Slice(0, Http2FrameReader.ClientPreface.Length).ToArray().AsSpan().SequenceEqual(Http2FrameReader.ClientPreface));
                Input.AdvanceTo(result.Buffer.GetPosition(Http2FrameReader.ClientPreface.Length));
                break;
            }
            Input.AdvanceTo(result.Buffer.Start, result.Buffer.End);
        }
        var clientSettings = await ReadFrameAsync();
        Assert.Equal(Http2FrameType.Settings, clientSettings.Type);
        var window = await ReadFrameAsync();
        Assert.Equal(Http2FrameType.WindowUpdate, window.Type);
        Http2FrameWriter.WriteSettings(transport.Output, settings);
        Http2FrameWriter.WriteSettingsAck(transport.Output);
        await transport.Output.FlushAsync();
    }

    public async Task<Frame> ReadFrameAsync()
    {
        using var cts = new CancellationTokenSource(Wait);
        while (true)
        {
            var result = await Input.ReadAsync(cts.Token);
            var buffer = result.Buffer;
            if (Http2FrameReader.TryRead(buffer, Http2PeerSettings.MaxFrameSizeLimit, out var header, out var payload, out var consumed) == Http2ReadStatus.Frame)
            {
                var frame = new Frame(header, payload.ToArray());
                Input.AdvanceTo(consumed);
                return frame;
            }
            Input.AdvanceTo(buffer.Start, buffer.End);
            if (result.IsCompleted)
            {
                throw new EndOfStreamException("the session closed");
            }
        }
    }

    /// <summary>The next frame that is not SETTINGS (ACK), WINDOW_UPDATE or PING.</summary>
    public async Task<Frame> ReadStreamFrameAsync()
    {
        while (true)
        {
            var frame = await ReadFrameAsync();
            if (frame.Type is not (Http2FrameType.Settings or Http2FrameType.WindowUpdate or Http2FrameType.Ping))
            {
                return frame;
            }
        }
    }

    public List<(string Name, string Value)> Decode(Frame headers)
    {
        Assert.Equal(Http2FrameType.Headers, headers.Type);
        Assert.Equal(Http2ErrorCode.NoError, HeadersError(headers, out var fragment));
        var fields = new Fields();
        Assert.Equal(HPackError.None, _decoder.Decode(fragment, fields));
        return fields.List;
    }

    private static Http2ErrorCode HeadersError(Frame frame, out byte[] fragment)
    {
        var code = Http2FrameReader.ParseHeaders(frame.Header, frame.Payload, out var span, out _);
        fragment = span.ToArray();
        return code;
    }

    public async Task SendHeadersAsync(int streamId, bool endStream, params (string Name, string Value)[] fields)
    {
        var block = new ArrayBufferWriter<byte>();
        _encoder.BeginBlock(block);
        foreach (var (name, value) in fields)
        {
            _encoder.Encode(block, Encoding.Latin1.GetBytes(name), Encoding.Latin1.GetBytes(value));
        }
        Http2FrameWriter.WriteHeaders(transport.Output, streamId, block.WrittenSpan, endStream, Http2PeerSettings.MinFrameSize);
        await transport.Output.FlushAsync();
    }

    public async Task SendDataAsync(int streamId, string data, bool endStream)
    {
        Http2FrameWriter.WriteData(transport.Output, streamId, Encoding.Latin1.GetBytes(data), endStream);
        await transport.Output.FlushAsync();
    }

    public async Task SendGoAwayAsync(int lastStreamId, Http2ErrorCode code = Http2ErrorCode.NoError)
    {
        Http2FrameWriter.WriteGoAway(transport.Output, lastStreamId, code, default);
        await transport.Output.FlushAsync();
    }

    public async Task SendPingAsync(ulong opaque)
    {
        Http2FrameWriter.WritePing(transport.Output, opaque, ack: false);
        await transport.Output.FlushAsync();
    }

    public async Task SendRstStreamAsync(int streamId, Http2ErrorCode code)
    {
        Http2FrameWriter.WriteRstStream(transport.Output, streamId, code);
        await transport.Output.FlushAsync();
    }
}
