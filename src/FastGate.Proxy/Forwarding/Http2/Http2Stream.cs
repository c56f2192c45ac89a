using System.Buffers;
using System.IO.Pipelines;
using FastGate.Core.Buffers;
using FastGate.Core.Http;
using FastGate.Core.Http1;
using FastGate.Core.Http2;

namespace FastGate.Proxy.Forwarding.Http2;

/// <summary>
/// One stream of an <see cref="Http2Connection"/>: its protocol state and windows, the bridge on
/// which an <see cref="Http1ProxyConnection"/> serves its one exchange, and the pump that turns
/// the HTTP/1.1 response written there into HEADERS, DATA and trailing HEADERS within the
/// client's windows. The request side (DATA into the bridge) belongs to the connection's read
/// loop; the response side to the pump; shared fields are guarded by the connection's lock.
/// </summary>
internal sealed partial class Http2Stream
{
    private const int MaxResponseHeadBytes = 64 * 1024;

    private readonly Http2Connection _connection;
    private readonly ResponseHead _head = new();
    private readonly PooledByteBuffer _trailers = new();
    private Http2ChunkReader _chunks;

    public Http2Stream(Http2Connection connection, int id, int sendWindow, int receiveWindow)
    {
        _connection = connection;
        Id = id;
        SendWindow = sendWindow;
        ReceiveWindow = receiveWindow;
        Bridge = new Http2StreamTransport(this);
    }

    public int Id { get; }
    public Http2StreamTransport Bridge { get; }
    public Http1ProxyConnection? Exchange;
    public readonly Http2Signal Wake = new();
    /// <summary>Guards the request writer: the read loop writes, a reset or the end of the exchange completes it.</summary>
    public readonly object RequestLock = new();

    // Request side (read loop).
    public bool RemoteEnded;
    public bool RequestChunked;
    public long ExpectedLength = -1;
    public long ReceivedLength;
    public bool RequestWriterDone;
    /// <summary>What the client may still send before we grant more (read loop decrements, the consumer grants).</summary>
    public int ReceiveWindow;
    public bool IsHead;

    // Response side (under the connection's lock).
    public int SendWindow;
    public bool HeadSent;
    public bool LocalEnded;
    public bool Reset;
    public bool Closed;
    public bool RequestReaderDone;
    /// <summary>Stopwatch ticks since the pump waits for window; 0 when it does not.</summary>
    public long StalledSince;
    public bool StalledOnConnection;
    public bool WaitingForOutput;

    // Flow-control accounting of the request pipe, under RequestLock: the pipe holds the request
    // head and chunk framing besides DATA payload, so what the exchange consumed is turned into
    // window conservatively: DATA written less all bytes still unread.
    public long PipeWritten;
    public long DataWritten;
    public long PipeConsumed;
    public long Granted;

    /// <summary>The exchange consumed request bytes: window goes back to the client, batched.</summary>
    public void OnRequestBytesConsumed(int bytes) => _connection.OnRequestBytesConsumed(this, bytes);

    /// <summary>The exchange stopped reading the request (it ended or answered early).</summary>
    public void OnRequestReaderCompleted() => _connection.OnRequestReaderCompleted(this);

    /// <summary>
    /// Runs the response side: reads the HTTP/1.1 response the exchange writes, sends it as HTTP/2,
    /// and ends when END_STREAM (or a reset) went out.
    /// </summary>
    public async Task PumpAsync()
    {
        var reader = Bridge.ResponseReader;
        try
        {
            if (!await SendHeadAsync(reader).ConfigureAwait(false))
            {
                return;
            }
            await SendBodyAsync(reader).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is InvalidOperationException or IOException or OperationCanceledException)
        {
            _connection.ResetStream(this, Http2ErrorCode.InternalError);
        }
        finally
        {
            ReturnHeadBuffer();
            _trailers.Release();
            reader.Complete();
            _connection.OnPumpDone(this);
        }
    }

    private void ReturnHeadBuffer()
    {
        var buffer = _head.Buffer;
        _head.Buffer = [];
        if (buffer.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private async Task<bool> SendHeadAsync(PipeReader reader)
    {
        while (true)
        {
            var result = await reader.ReadAsync().ConfigureAwait(false);
            if (Reset)
            {
                return false;
            }
            var buffer = result.Buffer;
            if (Http1Parser.TryFindHeadEnd(buffer, MaxResponseHeadBytes, 8 * 1024, out var headLength, out var error))
            {
                // The head is parsed in a pooled copy (ranges point into it), given back when the pump ends.
                ReturnHeadBuffer();
                var bytes = ArrayPool<byte>.Shared.Rent(headLength);
                buffer.Slice(0, headLength).CopyTo(bytes);
                reader.AdvanceTo(buffer.GetPosition(headLength));
                _head.Reset();
                _head.Buffer = bytes;
                _head.Length = headLength;
                if (Http1Parser.ParseResponse(_head, 1000) != Http1Error.None)
                {
                    _connection.ResetStream(this, Http2ErrorCode.InternalError);
                    return false;
                }
                if (IsTunnel && IsTunnelAnswer())
                {
                    return OpenTunnel();
                }
                if (_head.StatusCode < 200)
                {
                    // 100 Continue (and other interim answers) go to the client as a HEADERS of their own.
                    _connection.SendResponseHead(this, _head, endStream: false, informational: true);
                    continue;
                }
                var noBody = IsHead || _head.StatusCode is 204 or 304 || (!_head.IsChunked && _head.ContentLength == 0);
                _connection.SendResponseHead(this, _head, endStream: noBody, informational: false);
                return !noBody;
            }
            if (error != Http1Error.None || result.IsCompleted)
            {
                reader.AdvanceTo(buffer.End);
                _connection.ResetStream(this, Http2ErrorCode.InternalError);
                return false;
            }
            reader.AdvanceTo(buffer.Start, buffer.End);
        }
    }

    private async Task SendBodyAsync(PipeReader reader)
    {
        var chunked = _head.IsChunked;
        var remaining = chunked ? -1 : _head.ContentLength;
        _chunks.Reset();
        _trailers.Clear();
        while (true)
        {
            var result = await reader.ReadAsync().ConfigureAwait(false);
            if (Reset)
            {
                return;
            }
            var buffer = result.Buffer;
            if (buffer.IsEmpty)
            {
                reader.AdvanceTo(buffer.End);
                if (result.IsCompleted)
                {
                    if (remaining < 0 && !chunked)
                    {
                        // A close-delimited body ends with the exchange.
                        _connection.SendEnd(this, default);
                        return;
                    }
                    _connection.ResetStream(this, Http2ErrorCode.InternalError);
                    return;
                }
                continue;
            }
            var span = buffer.First.Span;
            var consumed = 0;
            var blocked = false;
            var finished = false;
            while (consumed < span.Length)
            {
                ReadOnlySpan<byte> data;
                if (chunked)
                {
                    var status = _chunks.Read(span[consumed..], _trailers, out var framing);
                    consumed += framing;
                    if (status == Http1ChunkStatus.Complete)
                    {
                        finished = true;
                        break;
                    }
                    if (status == Http1ChunkStatus.Error)
                    {
                        reader.AdvanceTo(buffer.End);
                        _connection.ResetStream(this, Http2ErrorCode.InternalError);
                        return;
                    }
                    if (status == Http1ChunkStatus.NeedMoreData)
                    {
                        break;
                    }
                    data = span.Slice(consumed, (int)Math.Min(_chunks.Remaining, span.Length - consumed));
                }
                else
                {
                    data = remaining < 0 ? span[consumed..] : span.Slice(consumed, (int)Math.Min(remaining, span.Length - consumed));
                }
                var last = !chunked && remaining >= 0 && data.Length == remaining;
                var sent = _connection.SendData(this, data, last);
                if (sent < 0)
                {
                    reader.AdvanceTo(buffer.End);
                    return;
                }
                consumed += sent;
                if (chunked)
                {
                    _chunks.Took(sent);
                }
                else if (remaining >= 0)
                {
                    remaining -= sent;
                    if (remaining == 0)
                    {
                        finished = true;
                        break;
                    }
                }
                if (sent < data.Length)
                {
                    blocked = true;
                    break;
                }
            }
            if (finished)
            {
                reader.AdvanceTo(buffer.GetPosition(consumed));
                if (chunked)
                {
                    _connection.SendEnd(this, _trailers.Length > 0 ? _trailers.WrittenSpan : default);
                }
                return;
            }
            if (blocked)
            {
                // Examined only what was sent: the rest is seen again at once after the wake.
                reader.AdvanceTo(buffer.GetPosition(consumed));
                await Wake.WaitAsync().ConfigureAwait(false);
                continue;
            }
            reader.AdvanceTo(buffer.GetPosition(consumed));
            if (result.IsCompleted && buffer.Length == consumed)
            {
                if (remaining < 0 && !chunked)
                {
                    _connection.SendEnd(this, default);
                    return;
                }
                _connection.ResetStream(this, Http2ErrorCode.InternalError);
                return;
            }
        }
    }
}
