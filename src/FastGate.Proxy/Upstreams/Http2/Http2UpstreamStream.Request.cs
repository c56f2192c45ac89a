using System.Buffers;
using System.IO.Pipelines;
using FastGate.Core.Http;
using FastGate.Core.Http1;
using FastGate.Core.Http2;

namespace FastGate.Proxy.Upstreams.Http2;

/// <summary>
/// The request side of a stream: reads the HTTP/1.1 request the upstream leg writes, sends its
/// head as HEADERS and its body (decoded from Content-Length or chunked framing) as DATA within
/// the server's windows, and chunked trailers as a last HEADERS. Runs inline in the leg's flushes;
/// while the windows are shut it stops reading, so the leg's flush waits (back-pressure).
/// </summary>
internal sealed partial class Http2UpstreamStream
{
    private const int MaxRequestHeadBytes = 64 * 1024;
    private const int MaxRequestHeaders = 256;
    /// <summary>Raw body bytes decoded per step: what one step may hold in <see cref="_body"/>'s scratch.</summary>
    private const int DecodeStep = 64 * 1024;

    private readonly Http2RequestFields _fields = new();
    private Http1BodyReader _body;
    private ArrayBufferWriter<byte>? _data;
    private ArrayBufferWriter<byte>? _trailers;
    private bool _requestIsHead;
    private volatile bool _requestEnded;

    private async Task PumpRequestAsync()
    {
        var reader = _request.Reader;
        try
        {
            var step = await SendHeadAsync(reader).ConfigureAwait(false);
            while (true)
            {
                if (step == SendStep.Body)
                {
                    step = await SendBodyAsync(reader).ConfigureAwait(false);
                }
                if (step == SendStep.Failed)
                {
                    PumpIdle();
                    return;
                }
                if (step == SendStep.Sent && !PumpDone())
                {
                    // Sent whole and no refusal came meanwhile: a later one starts a resend of its own.
                    return;
                }
                // Refused (REFUSED_STREAM, GOAWAY): sent again on another session, then the body goes on.
                step = await ResendAsync().ConfigureAwait(false);
            }
        }
        catch (Exception ex)
        {
            _session.SendReset(this, Http2ErrorCode.InternalError);
            FailResponse(new IOException("the request could not be sent on HTTP/2", ex), refused: false);
            PumpIdle();
        }
        finally
        {
            reader.Complete();
        }
    }

    /// <summary>Reads and sends the request head: <see cref="SendStep.Body"/> when a body follows (its reader started).</summary>
    private async ValueTask<SendStep> SendHeadAsync(PipeReader reader)
    {
        var scan = default(Http1HeadScanState);
        var head = _fields.Head;
        while (true)
        {
            var result = await reader.ReadAsync().ConfigureAwait(false);
            var buffer = result.Buffer;
            if (Http1Parser.TryFindHeadEnd(buffer, ref scan, MaxRequestHeadBytes, MaxRequestHeadBytes, out var headLength, out var error))
            {
                // Kept until the stream ends: a resend encodes the head again for another session.
                var bytes = ArrayPool<byte>.Shared.Rent(headLength);
                buffer.Slice(0, headLength).CopyTo(bytes);
                reader.AdvanceTo(buffer.GetPosition(headLength));
                head.Buffer = bytes;
                head.Length = headLength;
                if (Http1Parser.ParseRequest(head, MaxRequestHeaders) != Http1Error.None)
                {
                    FailResponse(new IOException("the request head could not be read for HTTP/2"), refused: false);
                    return SendStep.Failed;
                }
                _fields.Parsed();
                _requestIsHead = head.Method == RequestMethod.Head;
                var hasBody = head.IsChunked || head.ContentLength > 0;
                _bodyComplete = !hasBody;
                if (hasBody)
                {
                    _body.Start(head.IsChunked ? Http1BodyFraming.Chunked : Http1BodyFraming.ContentLength, head.ContentLength, long.MaxValue, keepTrailers: true);
                }
                if (!_session.SendHeaders(this, _fields, endStream: !hasBody))
                {
                    // Never seen by the server: sent on another session.
                    FailResponse(new IOException("the HTTP/2 upstream connection closed before the request went out"), refused: true);
                    return IsRefused ? SendStep.Refused : SendStep.Failed;
                }
                if (!hasBody)
                {
                    _requestEnded = true;
                    return SendStep.Sent;
                }
                return SendStep.Body;
            }
            if (error != Http1Error.None || result.IsCompleted || result.IsCanceled)
            {
                reader.AdvanceTo(buffer.End);
                if (error != Http1Error.None)
                {
                    FailResponse(new IOException("the request head could not be read for HTTP/2"), refused: false);
                }
                return SendStep.Failed;
            }
            reader.AdvanceTo(buffer.Start, buffer.End);
        }
    }

    /// <summary>
    /// Decodes and sends the body as it comes: <see cref="SendStep.Sent"/> at its end,
    /// <see cref="SendStep.Refused"/> when the server refused the stream meanwhile (what was
    /// decoded is held for the resend), <see cref="SendStep.Failed"/> when it cannot go on.
    /// </summary>
    private async Task<SendStep> SendBodyAsync(PipeReader reader)
    {
        ArrayBufferWriter<byte>? data = null;
        var trailers = _trailers ??= new ArrayBufferWriter<byte>(256);
        while (true)
        {
            if (IsRefused)
            {
                return SendStep.Refused;
            }
            var result = await reader.ReadAsync().ConfigureAwait(false);
            var buffer = result.Buffer;
            var step = buffer.Length > DecodeStep ? buffer.Slice(0, DecodeStep) : buffer;
            // Sized by the first step: a small body (a unary gRPC call) takes a small buffer.
            data = _data ??= new ArrayBufferWriter<byte>((int)Math.Max(step.Length, 256));
            data.Clear();
            var sink = new BodySink(data, trailers);
            var status = _body.Read(step, inputEnded: false, ref sink, out var consumed);
            if (status is Http1CopyStatus.InvalidFraming or Http1CopyStatus.TooLarge)
            {
                reader.AdvanceTo(buffer.End);
                _session.SendReset(this, Http2ErrorCode.Cancel);
                FailResponse(new IOException("the request body's framing is broken"), refused: false);
                return SendStep.Failed;
            }
            var complete = status == Http1CopyStatus.Complete;
            // Held before it goes out: a refusal during the send replays it with the rest.
            Hold(data.WrittenSpan, complete);
            // What was not decoded yet (past this step) is read again at once, not waited for.
            var position = buffer.GetPosition(consumed);
            reader.AdvanceTo(position, complete || step.Length < buffer.Length ? position : buffer.End);
            var endWithData = complete && trailers.WrittenCount == 0;
            if (!await SendDataAsync(data.WrittenMemory, endWithData).ConfigureAwait(false))
            {
                return IsRefused ? SendStep.Refused : SendStep.Failed;
            }
            if (complete)
            {
                if (trailers.WrittenCount > 0)
                {
                    _session.SendTrailers(this, trailers.WrittenSpan);
                }
                _requestEnded = true;
                return SendStep.Sent;
            }
            if (result.IsCompleted)
            {
                // The exchange stopped writing before the body's end.
                _session.SendReset(this, Http2ErrorCode.Cancel);
                return SendStep.Failed;
            }
            // A cancelled read without a refusal is a stale wake-up: read on.
        }
    }

    /// <summary>Sends <paramref name="data"/> as DATA frames as the windows allow; false when the stream or session ended meanwhile.</summary>
    private async ValueTask<bool> SendDataAsync(ReadOnlyMemory<byte> data, bool endStream)
    {
        if (data.IsEmpty)
        {
            return !endStream || _session.SendData(this, default, endStream: true);
        }
        while (!data.IsEmpty)
        {
            var n = _session.ReserveSend(this, data.Length, out var wait);
            if (n < 0)
            {
                return false;
            }
            if (n == 0)
            {
                await wait!.ConfigureAwait(false);
                continue;
            }
            var last = n == data.Length;
            if (!_session.SendData(this, data.Span[..n], endStream && last))
            {
                return false;
            }
            data = data[n..];
        }
        return true;
    }

    /// <summary>Collects one step's decoded body and any trailer lines.</summary>
    private readonly struct BodySink(ArrayBufferWriter<byte> data, ArrayBufferWriter<byte> trailers) : IHttp1BodySink
    {
        public void Data(ReadOnlySpan<byte> bytes) => data.Write(bytes);

        public void Trailers(ReadOnlySpan<byte> fieldLines, bool first) => trailers.Write(fieldLines);

        public void End()
        {
        }

        public void EndAfterTrailers()
        {
        }
    }
}
