using System.Diagnostics;
using FastGate.Core.Http2;

namespace FastGate.Proxy.Forwarding.Http2;

// Control frames (SETTINGS, PING, PRIORITY, RST_STREAM, WINDOW_UPDATE, GOAWAY) and the token
// bucket they share: a client may send them freely, but not as a flood that costs us more than
// it costs the client (the 2019 "ping flood", "settings flood", "reset flood" CVEs).
public sealed partial class Http2Connection
{
    // The streams a WINDOW_UPDATE of the connection wakes, copied out of the table by the read loop
    // (the only caller), so a busy download's updates allocate nothing.
    private Http2Stream[] _windowWoken = [];

    /// <summary>One frame's worth from the bucket: burst and rate are max_control_frames_per_second.</summary>
    private bool TakeControlToken()
    {
        var now = Stopwatch.GetTimestamp();
        var rate = _settings.MaxControlFramesPerSecond;
        _controlTokens = Math.Min(rate, _controlTokens + (now - _controlRefilledAt) * rate / (double)Stopwatch.Frequency);
        _controlRefilledAt = now;
        if (_controlTokens < 1)
        {
            return false;
        }
        _controlTokens -= 1;
        return true;
    }

    /// <summary>
    /// WINDOW_UPDATE is how a client that reads our DATA grants more. Up to two per DATA frame we
    /// sent (its stream's and the connection's) are its due and take no token; only grants past
    /// that draw from the bucket. A client downloading many streams at once sends thousands a
    /// second, and they cost no more than the DATA we chose to send.
    /// </summary>
    private bool TakeWindowUpdateToken()
    {
        // +2: the grants a client may send before any DATA (the connection window at start).
        if (_freeWindowUpdates < (2 * Volatile.Read(ref _dataFramesSent)) + 2)
        {
            _freeWindowUpdates++;
            return true;
        }
        return TakeControlToken();
    }

    private Http2ErrorCode OnSettings(in Http2FrameHeader header, ReadOnlySpan<byte> payload)
    {
        var error = Http2FrameReader.ParseSettings(header, payload);
        if (error != Http2ErrorCode.NoError)
        {
            return error;
        }
        if (_settingsReceived && !TakeControlToken())
        {
            return Calm(Http2DefenseKind.ControlFlood);
        }
        _settingsReceived = true;
        if (header.Has(Http2Flags.Ack))
        {
            return Http2ErrorCode.NoError;
        }
        var count = payload.Length / 6;
        List<Http2Stream>? woken = null;
        using (_guard.Enter())
        {
            for (var i = 0; i < count; i++)
            {
                var setting = Http2FrameReader.Setting(payload, i);
                var before = _peer.InitialWindowSize;
                error = _peer.Apply(setting);
                if (error != Http2ErrorCode.NoError)
                {
                    return error;
                }
                if (setting.Id == Http2SettingId.InitialWindowSize)
                {
                    // §6.9.2: every stream's window moves by the change.
                    var delta = _peer.InitialWindowSize - before;
                    foreach (var stream in _streams)
                    {
                        var grown = (long)stream.SendWindow + delta;
                        if (grown > Http2PeerSettings.MaxWindowSize)
                        {
                            return Http2ErrorCode.FlowControlError;
                        }
                        stream.SendWindow = (int)grown;
                        if (delta > 0)
                        {
                            (woken ??= []).Add(stream);
                        }
                    }
                }
                else if (setting.Id == Http2SettingId.HeaderTableSize)
                {
                    _encoder.SetPeerMaxTableSize((int)Math.Min(setting.Value, 64 * 1024));
                }
            }
            Http2FrameWriter.WriteSettingsAck(_pending);
            _controlBacklog += Http2FrameHeader.Size;
            if (_controlBacklog > MaxControlBacklog)
            {
                return Calm(Http2DefenseKind.OutputBacklog);
            }
        }
        SignalWriter();
        if (woken is not null)
        {
            foreach (var stream in woken)
            {
                stream.Wake.Set();
            }
        }
        return Http2ErrorCode.NoError;
    }

    private Http2ErrorCode OnPing(in Http2FrameHeader header, ReadOnlySpan<byte> payload)
    {
        var error = Http2FrameReader.ParsePing(header, payload, out var opaque);
        if (error != Http2ErrorCode.NoError)
        {
            return error;
        }
        if (!TakeControlToken())
        {
            return Calm(Http2DefenseKind.ControlFlood);
        }
        if (header.Has(Http2Flags.Ack))
        {
            return Http2ErrorCode.NoError;
        }
        using (_guard.Enter())
        {
            Http2FrameWriter.WritePing(_pending, opaque, ack: true);
            _controlBacklog += Http2FrameHeader.Size + 8;
            if (_controlBacklog > MaxControlBacklog)
            {
                return Calm(Http2DefenseKind.OutputBacklog);
            }
        }
        SignalWriter();
        return Http2ErrorCode.NoError;
    }

    private Http2ErrorCode OnPriority(in Http2FrameHeader header, ReadOnlySpan<byte> payload)
    {
        var error = Http2FrameReader.ParsePriority(header, payload, out var streamError);
        if (error != Http2ErrorCode.NoError)
        {
            if (!streamError)
            {
                return error;
            }
            ResetById(header.StreamId, error);
        }
        // §5.3.2: accepted and ignored; it only counts against the bucket.
        return TakeControlToken() ? Http2ErrorCode.NoError : Calm(Http2DefenseKind.ControlFlood);
    }

    private Http2ErrorCode OnRstStream(in Http2FrameHeader header, ReadOnlySpan<byte> payload)
    {
        var error = Http2FrameReader.ParseRstStream(header, payload, out _);
        if (error != Http2ErrorCode.NoError)
        {
            return error;
        }
        var id = header.StreamId;
        if (id > _highestStreamId)
        {
            // §6.4: RST_STREAM on an idle stream.
            return Http2ErrorCode.ProtocolError;
        }
        if (!TakeControlToken())
        {
            return Calm(Http2DefenseKind.ControlFlood);
        }
        Http2Stream? stream;
        bool premature;
        using (_guard.Enter())
        {
            if (!_streams.TryGetValue(id, out stream))
            {
                return Http2ErrorCode.NoError;
            }
            premature = !stream.HeadSent;
            stream.Reset = true;
            CloseLocked(stream);
        }
        AbortRequest(stream);
        stream.Wake.Set();
        CancelResponseRead(stream);
        if (premature)
        {
            // Rapid reset (CVE-2023-44487): streams opened and reset before any answer cost us an
            // exchange each and the client nothing; many of them, and most of what it opened, ends it.
            _prematureResets++;
            if (_prematureResets > _settings.MaxPrematureResets && _prematureResets * 2 > _streamsOpened)
            {
                return Calm(Http2DefenseKind.RapidReset);
            }
        }
        return Http2ErrorCode.NoError;
    }

    private Http2ErrorCode OnWindowUpdate(in Http2FrameHeader header, ReadOnlySpan<byte> payload)
    {
        var error = Http2FrameReader.ParseWindowUpdate(header, payload, out var increment, out var streamError);
        var id = header.StreamId;
        if (id > _highestStreamId)
        {
            // §5.1: WINDOW_UPDATE on an idle stream.
            return error != Http2ErrorCode.NoError && !streamError ? error : Http2ErrorCode.ProtocolError;
        }
        if (error != Http2ErrorCode.NoError)
        {
            if (!streamError)
            {
                return error;
            }
            ResetById(id, error);
            return Http2ErrorCode.NoError;
        }
        if (!TakeWindowUpdateToken())
        {
            return Calm(Http2DefenseKind.ControlFlood);
        }
        if (id == 0)
        {
            int woken;
            using (_guard.Enter())
            {
                var grown = (long)_connectionSendWindow + increment;
                if (grown > Http2PeerSettings.MaxWindowSize)
                {
                    return Http2ErrorCode.FlowControlError;
                }
                _connectionSendWindow = (int)grown;
                if (_connectionSendWindow > 0)
                {
                    _connectionStalledSince = 0;
                }
                woken = _streams.CopyTo(ref _windowWoken);
            }
            for (var i = 0; i < woken; i++)
            {
                _windowWoken[i].Wake.Set();
            }
            // Holds no stream past its wake-up.
            Array.Clear(_windowWoken, 0, woken);
            return Http2ErrorCode.NoError;
        }
        Http2Stream? target;
        using (_guard.Enter())
        {
            if (!_streams.TryGetValue(id, out target))
            {
                return Http2ErrorCode.NoError;
            }
            var grown = (long)target.SendWindow + increment;
            if (grown > Http2PeerSettings.MaxWindowSize)
            {
                target = null;
            }
            else
            {
                target.SendWindow = (int)grown;
            }
        }
        if (target is null)
        {
            using (_guard.Enter())
            {
                _streams.TryGetValue(id, out target);
            }
            if (target is not null)
            {
                ResetStream(target, Http2ErrorCode.FlowControlError);
            }
            return Http2ErrorCode.NoError;
        }
        target.Wake.Set();
        return Http2ErrorCode.NoError;
    }

    private Http2ErrorCode OnGoAway(in Http2FrameHeader header, ReadOnlySpan<byte> payload)
    {
        var error = Http2FrameReader.ParseGoAway(header, payload, out _, out _, out _);
        if (error != Http2ErrorCode.NoError)
        {
            return error;
        }
        // The client opens no more streams; those open finish, then the connection ends.
        using (_guard.Enter())
        {
            _clientGoAway = true;
        }
        return Http2ErrorCode.NoError;
    }

    private void ResetById(int id, Http2ErrorCode code)
    {
        Http2Stream? stream;
        using (_guard.Enter())
        {
            _streams.TryGetValue(id, out stream);
        }
        if (stream is not null)
        {
            ResetStream(stream, code);
        }
        else
        {
            ResetUnopened(id, code);
        }
    }
}
