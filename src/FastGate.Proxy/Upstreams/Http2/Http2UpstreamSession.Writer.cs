using System.Buffers;
using FastGate.Core.Http2;

namespace FastGate.Proxy.Upstreams.Http2;

/// <summary>
/// The sending side: every frame is written under the lock into <see cref="_pending"/> (so the
/// HPACK encoder's table and the stream ids advance in wire order), and one writer loop moves the
/// queued bytes to the socket, so writes from many streams never interleave inside a frame and a
/// slow socket never blocks a stream's thread. What can queue is bounded by the server's flow
/// control windows (DATA) and by the streams admitted (HEADERS).
/// </summary>
internal sealed partial class Http2UpstreamSession
{
    private ArrayBufferWriter<byte> _pending = new(16 * 1024);
    private ArrayBufferWriter<byte> _sending = new(16 * 1024);
    private readonly SemaphoreSlim _writeSignal = new(0);
    private bool _writeScheduled;
    private bool _closeAfterWrite;

    /// <summary>Wakes the writer loop (once per batch).</summary>
    private void ScheduleWrite()
    {
        lock (_lock)
        {
            ScheduleWriteLocked();
        }
    }

    private void ScheduleWriteLocked()
    {
        if (_writeScheduled)
        {
            return;
        }
        _writeScheduled = true;
        _writeSignal.Release();
    }

    private async Task WriteLoopAsync()
    {
        var output = _transport.Output;
        try
        {
            while (true)
            {
                await _writeSignal.WaitAsync().ConfigureAwait(false);
                ArrayBufferWriter<byte> batch;
                bool close;
                lock (_lock)
                {
                    _writeScheduled = false;
                    batch = _pending;
                    _pending = _sending;
                    _sending = batch;
                    close = _closeAfterWrite;
                }
                if (batch.WrittenCount > 0 && !IsClosed)
                {
                    output.Write(batch.WrittenSpan);
                    batch.Clear();
                    var flush = await output.FlushAsync().ConfigureAwait(false);
                    if (flush.IsCompleted)
                    {
                        Close(new IOException("the HTTP/2 upstream stopped reading"));
                        return;
                    }
                }
                else
                {
                    batch.Clear();
                }
                if (close || IsClosed)
                {
                    Close(new IOException("the HTTP/2 upstream session closed"));
                    return;
                }
            }
        }
        catch (Exception ex)
        {
            Close(ex);
        }
    }

    /// <summary>
    /// Sends a stream's request head: gives it the next id, encodes the fields and queues HEADERS
    /// (and CONTINUATION). False when the session can no longer open it (closed, or told to go
    /// away): the stream was never seen by the server and may go elsewhere.
    /// </summary>
    internal bool SendHeaders(Http2UpstreamStream stream, Http2RequestFields fields, bool endStream)
    {
        lock (_lock)
        {
            if (_failure is not null || _goAwayReceived || _nextStreamId > MaxStreamId)
            {
                return false;
            }
            var id = (int)_nextStreamId;
            _nextStreamId += 2;
            _unassigned--;
            stream.Assign(id, _peer.InitialWindowSize);
            _streams.Add(id, stream);
            _highestSent = id;
            var block = _headerBlock;
            block.Clear();
            _encoder.BeginBlock(block);
            fields.Encode(_encoder, block, IsTls);
            Http2FrameWriter.WriteHeaders(_pending, id, block.WrittenSpan, endStream, _peer.MaxFrameSize);
            ScheduleWriteLocked();
        }
        return true;
    }

    private readonly ArrayBufferWriter<byte> _headerBlock = new(1024);

    /// <summary>Sends request trailers (RFC 9113 §8.1) as a last HEADERS with END_STREAM.</summary>
    internal bool SendTrailers(Http2UpstreamStream stream, ReadOnlySpan<byte> fieldLines)
    {
        lock (_lock)
        {
            if (_failure is not null || stream.Released)
            {
                return false;
            }
            var block = _headerBlock;
            block.Clear();
            _encoder.BeginBlock(block);
            Http2RequestFields.EncodeTrailerLines(_encoder, block, fieldLines);
            Http2FrameWriter.WriteHeaders(_pending, stream.Id, block.WrittenSpan, endStream: true, _peer.MaxFrameSize);
            ScheduleWriteLocked();
        }
        return true;
    }

    /// <summary>
    /// Takes up to <paramref name="wanted"/> bytes of send window (the stream's and the
    /// connection's, at most a frame); 0 with <paramref name="wait"/> set when either is empty: the
    /// task completes when a WINDOW_UPDATE or SETTINGS may have given more, or the stream ended.
    /// </summary>
    internal int ReserveSend(Http2UpstreamStream stream, int wanted, out Task? wait)
    {
        wait = null;
        lock (_lock)
        {
            if (_failure is not null || stream.Released || stream.RemoteReset)
            {
                return -1;
            }
            var n = Math.Min(wanted, Math.Min(stream.SendWindow.Available, _sendWindow.Available));
            n = Math.Min(n, _peer.MaxFrameSize);
            if (n <= 0)
            {
                wait = stream.WaitForWindow();
                _windowWaiters.Add(stream);
                return 0;
            }
            stream.SendWindow.TryConsume(n);
            _sendWindow.TryConsume(n);
            return n;
        }
    }

    private readonly List<Http2UpstreamStream> _windowWaiters = [];

    /// <summary>Queues DATA (taken from windows reserved with <see cref="ReserveSend"/>).</summary>
    internal bool SendData(Http2UpstreamStream stream, ReadOnlySpan<byte> data, bool endStream)
    {
        lock (_lock)
        {
            if (_failure is not null || stream.Released)
            {
                return false;
            }
            Http2FrameWriter.WriteData(_pending, stream.Id, data, endStream);
            ScheduleWriteLocked();
        }
        return true;
    }

    /// <summary>Gives the server more room to send on a stream (0: the connection) once the exchange took what came.</summary>
    internal void SendWindowUpdate(int streamId, int increment)
    {
        lock (_lock)
        {
            if (_failure is not null)
            {
                return;
            }
            Http2FrameWriter.WriteWindowUpdate(_pending, streamId, increment);
            ScheduleWriteLocked();
        }
    }

    /// <summary>Resets a stream whose request cannot be finished (the exchange left, or its body was malformed).</summary>
    internal void SendReset(Http2UpstreamStream stream, Http2ErrorCode code)
    {
        lock (_lock)
        {
            if (_failure is not null || stream.Id == 0 || stream.Released)
            {
                return;
            }
            Http2FrameWriter.WriteRstStream(_pending, stream.Id, code);
            ScheduleWriteLocked();
        }
    }

    /// <summary>Wakes every stream waiting for send window (a window grew, or the session ended).</summary>
    private void WakeAllSenders()
    {
        Http2UpstreamStream[] waiting;
        lock (_lock)
        {
            if (_windowWaiters.Count == 0)
            {
                return;
            }
            waiting = [.. _windowWaiters];
            _windowWaiters.Clear();
        }
        foreach (var stream in waiting)
        {
            stream.WindowChanged();
        }
    }
}
