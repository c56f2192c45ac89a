using System.Buffers;
using FastGate.Core.HPack;
using FastGate.Core.Http2;

namespace FastGate.Proxy.Upstreams.Http2;

/// <summary>
/// The receiving side: one loop reads the server's frames in order and hands each stream its
/// response (translated to HTTP/1.1 by the stream). Only this loop decodes HPACK (the decoder's
/// table follows the wire) and writes into streams' response pipes.
/// </summary>
internal sealed partial class Http2UpstreamSession
{
    /// <summary>A header block (HEADERS + CONTINUATION) larger than this is refused, whatever it decodes to.</summary>
    private const int MaxHeaderBlockBytes = 256 * 1024;

    private byte[] _payloadCopy = [];
    private readonly ArrayBufferWriter<byte> _headerFragments = new(1024);
    private readonly Http2ResponseHeadSink _headSink = new();
    private int _continuationStream;
    private bool _continuationEndStream;
    private bool _goAwayReceived;
    private bool _settingsSeen;
    private int _receiveWindow = ConnectionWindow;
    private int _receiveUncredited;

    private async Task ReadLoopAsync()
    {
        var input = _transport.Input;
        try
        {
            while (true)
            {
                var result = await input.ReadAsync().ConfigureAwait(false);
                var buffer = result.Buffer;
                while (true)
                {
                    var status = Http2FrameReader.TryRead(buffer, Http2PeerSettings.MinFrameSize, out var header, out var payload, out var consumed);
                    if (status == Http2ReadStatus.NeedMoreData)
                    {
                        break;
                    }
                    if (status == Http2ReadStatus.FrameTooLarge)
                    {
                        throw new Http2SessionException(Http2ErrorCode.FrameSizeError, "a frame larger than our SETTINGS_MAX_FRAME_SIZE");
                    }
                    ReadOnlySpan<byte> span;
                    if (payload.IsSingleSegment)
                    {
                        span = payload.FirstSpan;
                    }
                    else
                    {
                        if (_payloadCopy.Length < payload.Length)
                        {
                            _payloadCopy = new byte[Http2PeerSettings.MinFrameSize];
                        }
                        payload.CopyTo(_payloadCopy);
                        span = _payloadCopy.AsSpan(0, (int)payload.Length);
                    }
                    OnFrame(header, span);
                    buffer = buffer.Slice(consumed);
                }
                input.AdvanceTo(buffer.Start, buffer.End);
                if (result.IsCompleted || result.IsCanceled)
                {
                    Close(new IOException("the HTTP/2 upstream closed the connection"));
                    return;
                }
            }
        }
        catch (Http2SessionException ex)
        {
            lock (_lock)
            {
                if (_failure is null)
                {
                    Http2FrameWriter.WriteGoAway(_pending, 0, ex.Code, default);
                    _closeAfterWrite = true;
                    ScheduleWriteLocked();
                }
            }
            Close(ex);
        }
        catch (Exception ex)
        {
            Close(ex);
        }
        finally
        {
            try
            {
                input.Complete();
            }
            catch (Exception)
            {
                // The transport is gone already.
            }
        }
    }

    private void OnFrame(in Http2FrameHeader header, ReadOnlySpan<byte> payload)
    {
        if (!_settingsSeen && header.Type != Http2FrameType.Settings)
        {
            // RFC 9113 §3.4: the server's preface is a SETTINGS frame.
            throw new Http2SessionException(Http2ErrorCode.ProtocolError, "the upstream's first frame was not SETTINGS");
        }
        if (_continuationStream != 0 && header.Type != Http2FrameType.Continuation)
        {
            throw new Http2SessionException(Http2ErrorCode.ProtocolError, "a frame inside a header block");
        }
        switch (header.Type)
        {
            case Http2FrameType.Data:
                OnData(header, payload);
                break;
            case Http2FrameType.Headers:
                OnHeaders(header, payload);
                break;
            case Http2FrameType.Continuation:
                OnContinuation(header, payload);
                break;
            case Http2FrameType.Priority:
                Check(Http2FrameReader.ParsePriority(header, payload, out _));
                break;
            case Http2FrameType.RstStream:
                Check(Http2FrameReader.ParseRstStream(header, payload, out var code));
                OnReset(header.StreamId, code);
                break;
            case Http2FrameType.Settings:
                OnSettings(header, payload);
                break;
            case Http2FrameType.PushPromise:
                // We said SETTINGS_ENABLE_PUSH = 0 (RFC 9113 §6.6).
                throw new Http2SessionException(Http2ErrorCode.ProtocolError, "PUSH_PROMISE with push disabled");
            case Http2FrameType.Ping:
                Check(Http2FrameReader.ParsePing(header, payload, out var opaque));
                if (!header.Has(Http2Flags.Ack))
                {
                    lock (_lock)
                    {
                        Http2FrameWriter.WritePing(_pending, opaque, ack: true);
                        ScheduleWriteLocked();
                    }
                }
                break;
            case Http2FrameType.GoAway:
                Check(Http2FrameReader.ParseGoAway(header, payload, out var lastStreamId, out _, out _));
                OnGoAway(lastStreamId);
                break;
            case Http2FrameType.WindowUpdate:
                OnWindowUpdate(header, payload);
                break;
            default:
                // Unknown frame types are ignored (RFC 9113 §4.1).
                break;
        }
    }

    private static void Check(Http2ErrorCode code)
    {
        if (code != Http2ErrorCode.NoError)
        {
            throw new Http2SessionException(code, "a malformed frame from the upstream");
        }
    }

    private Http2UpstreamStream? Find(int streamId)
    {
        lock (_lock)
        {
            if ((streamId & 1) == 0 || streamId > _highestSent)
            {
                // A stream we never opened: servers do not open streams here.
                throw new Http2SessionException(Http2ErrorCode.ProtocolError, "a frame on a stream the client never opened");
            }
            return _streams.GetValueOrDefault(streamId);
        }
    }

    private void OnData(in Http2FrameHeader header, ReadOnlySpan<byte> payload)
    {
        Check(Http2FrameReader.ParseData(header, payload, out var data));
        // The whole payload, padding included, counts against the windows (RFC 9113 §6.9.1).
        var length = header.Length;
        _receiveWindow -= length;
        if (_receiveWindow < 0)
        {
            throw new Http2SessionException(Http2ErrorCode.FlowControlError, "DATA past the connection window");
        }
        // The connection window is given back at once; each stream's only as its exchange reads
        // (Http2UpstreamStream), which is what bounds the memory a slow client can cost.
        _receiveUncredited += length;
        if (_receiveUncredited >= ConnectionWindow / 2)
        {
            SendWindowUpdate(0, _receiveUncredited);
            _receiveWindow += _receiveUncredited;
            _receiveUncredited = 0;
        }
        var stream = Find(header.StreamId);
        if (stream is null)
        {
            // A stream we reset or let go: its frames in flight are dropped.
            return;
        }
        switch (stream.OnData(data, length, header.Has(Http2Flags.EndStream)))
        {
            case Http2StreamError.None:
                break;
            case Http2StreamError.FlowControl:
                ResetFromServer(stream, Http2ErrorCode.FlowControlError);
                break;
            default:
                ResetFromServer(stream, Http2ErrorCode.ProtocolError);
                break;
        }
    }

    private void OnHeaders(in Http2FrameHeader header, ReadOnlySpan<byte> payload)
    {
        var error = Http2FrameReader.ParseHeaders(header, payload, out var fragment, out var streamError);
        if (error != Http2ErrorCode.NoError && !streamError)
        {
            throw new Http2SessionException(error, "a malformed HEADERS frame");
        }
        _headerFragments.Clear();
        _headerFragments.Write(fragment);
        _continuationEndStream = header.Has(Http2Flags.EndStream);
        if (header.Has(Http2Flags.EndHeaders))
        {
            OnHeaderBlock(header.StreamId, _continuationEndStream);
        }
        else
        {
            _continuationStream = header.StreamId;
        }
    }

    private void OnContinuation(in Http2FrameHeader header, ReadOnlySpan<byte> payload)
    {
        Check(Http2FrameReader.ParseContinuation(header, payload));
        if (header.StreamId != _continuationStream)
        {
            throw new Http2SessionException(Http2ErrorCode.ProtocolError, "CONTINUATION on another stream");
        }
        if (_headerFragments.WrittenCount + payload.Length > MaxHeaderBlockBytes)
        {
            throw new Http2SessionException(Http2ErrorCode.EnhanceYourCalm, "a header block past its limit");
        }
        _headerFragments.Write(payload);
        if (header.Has(Http2Flags.EndHeaders))
        {
            _continuationStream = 0;
            OnHeaderBlock(header.StreamId, _continuationEndStream);
        }
    }

    private void OnHeaderBlock(int streamId, bool endStream)
    {
        var stream = Find(streamId);
        var sink = _headSink;
        sink.Begin(stream);
        var error = _decoder.Decode(_headerFragments.WrittenSpan, sink);
        if (error != HPackError.None && error != HPackError.HeaderListTooLarge)
        {
            throw new Http2SessionException(Http2ErrorCode.CompressionError, $"the upstream's header block does not decode ({error})");
        }
        if (stream is null)
        {
            // Decoded all the same: the table must follow the server's.
            return;
        }
        if (error == HPackError.HeaderListTooLarge)
        {
            sink.Refuse("a response head past 64 KiB");
        }
        if (stream.OnHeaderBlock(sink, endStream) != Http2StreamError.None)
        {
            ResetFromServer(stream, Http2ErrorCode.ProtocolError);
        }
    }

    /// <summary>A stream the server got wrong (RFC 9113 §8.1.1 malformed, or flow control): reset, and its exchange fails.</summary>
    private void ResetFromServer(Http2UpstreamStream stream, Http2ErrorCode code)
    {
        lock (_lock)
        {
            _streams.Remove(stream.Id);
            if (_failure is null)
            {
                Http2FrameWriter.WriteRstStream(_pending, stream.Id, code);
                ScheduleWriteLocked();
            }
        }
        stream.MarkRemoteReset();
        stream.FailResponse(new IOException($"the upstream's response on HTTP/2 stream {stream.Id} was refused ({code}): {_headSink.Problem ?? "bad framing"}"), refused: false);
    }

    private void OnReset(int streamId, Http2ErrorCode code)
    {
        var stream = Find(streamId);
        if (stream is null)
        {
            return;
        }
        lock (_lock)
        {
            _streams.Remove(streamId);
        }
        stream.MarkRemoteReset();
        // REFUSED_STREAM (RFC 9113 §8.7): the server did nothing with the request; another connection may take it.
        stream.FailResponse(new IOException($"the upstream reset HTTP/2 stream {streamId} ({code})"), refused: code == Http2ErrorCode.RefusedStream);
    }

    private void OnSettings(in Http2FrameHeader header, ReadOnlySpan<byte> payload)
    {
        Check(Http2FrameReader.ParseSettings(header, payload));
        if (header.Has(Http2Flags.Ack))
        {
            return;
        }
        var count = payload.Length / 6;
        lock (_lock)
        {
            var oldWindow = _peer.InitialWindowSize;
            for (var i = 0; i < count; i++)
            {
                var setting = Http2FrameReader.Setting(payload, i);
                var code = _peer.Apply(setting);
                if (code != Http2ErrorCode.NoError)
                {
                    throw new Http2SessionException(code, $"SETTINGS {setting.Id} = {setting.Value}");
                }
                if (setting.Id == Http2SettingId.HeaderTableSize)
                {
                    _encoder.SetPeerMaxTableSize((int)Math.Min(setting.Value, int.MaxValue));
                }
            }
            var delta = _peer.InitialWindowSize - oldWindow;
            if (delta != 0)
            {
                foreach (var stream in _streams.Values)
                {
                    if (stream.SendWindow.Adjust(delta) != Http2ErrorCode.NoError)
                    {
                        throw new Http2SessionException(Http2ErrorCode.FlowControlError, "SETTINGS_INITIAL_WINDOW_SIZE took a window past 2^31-1");
                    }
                }
            }
            Http2FrameWriter.WriteSettingsAck(_pending);
            ScheduleWriteLocked();
        }
        WakeAllSenders();
        if (!_settingsSeen)
        {
            _settingsSeen = true;
            _ready.TrySetResult();
        }
    }

    private void OnGoAway(int lastStreamId)
    {
        _metrics.GoAwayReceived();
        List<Http2UpstreamStream>? refused = null;
        lock (_lock)
        {
            _goAwayReceived = true;
            _draining = true;
            foreach (var (id, stream) in _streams)
            {
                if (id > lastStreamId)
                {
                    (refused ??= []).Add(stream);
                }
            }
            if (refused is not null)
            {
                foreach (var stream in refused)
                {
                    _streams.Remove(stream.Id);
                }
            }
            CloseIfDoneLocked();
        }
        if (refused is null)
        {
            return;
        }
        // RFC 9113 §6.8: streams above the last id were not processed; they may go elsewhere.
        foreach (var stream in refused)
        {
            stream.MarkRemoteReset();
            stream.FailResponse(new IOException($"the upstream sent GOAWAY before HTTP/2 stream {stream.Id}"), refused: true);
        }
        WakeAllSenders();
    }

    private void OnWindowUpdate(in Http2FrameHeader header, ReadOnlySpan<byte> payload)
    {
        var error = Http2FrameReader.ParseWindowUpdate(header, payload, out var increment, out var streamError);
        if (error != Http2ErrorCode.NoError && !streamError)
        {
            throw new Http2SessionException(error, "a malformed WINDOW_UPDATE");
        }
        if (header.StreamId == 0)
        {
            lock (_lock)
            {
                if (_sendWindow.Grow(increment) != Http2ErrorCode.NoError)
                {
                    throw new Http2SessionException(Http2ErrorCode.FlowControlError, "the connection's send window past 2^31-1");
                }
            }
            WakeAllSenders();
            return;
        }
        var stream = Find(header.StreamId);
        if (stream is null)
        {
            return;
        }
        if (streamError)
        {
            ResetFromServer(stream, error);
            return;
        }
        bool overflow;
        lock (_lock)
        {
            overflow = stream.SendWindow.Grow(increment) != Http2ErrorCode.NoError;
        }
        if (overflow)
        {
            ResetFromServer(stream, Http2ErrorCode.FlowControlError);
            return;
        }
        WakeAllSenders();
    }
}
