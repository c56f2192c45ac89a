using System.Buffers;
using System.IO.Pipelines;
using System.Runtime.CompilerServices;
using FastGate.Core.Buffers;
using FastGate.Core.Http1;
using FastGate.Proxy.Upstreams;

namespace FastGate.Proxy.Forwarding;

/// <summary>
/// Body copying. Bodies stream: each read is written to the other side and flushed, and a
/// flush waits while the other side's pipe is full, so a slow reader slows its writer and
/// memory stays bounded by the pipe thresholds. Copies do not flush after the last bytes; the
/// caller's single flush sends them with whatever precedes them (a small response goes out in
/// one write).
/// </summary>
public sealed partial class Http1ProxyConnection
{
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<CopyStatus> CopyRequestBodyAsync(UpstreamConnection upstream, long maxBodyBytes)
    {
        var request = _request;
        var status = request.IsChunked
            ? await CopyChunkedAsync(_input, upstream.Output, encode: true, maxBodyBytes, toClient: false).ConfigureAwait(false)
            : await CopyLengthAsync(_input, upstream.Output, request.ContentLength, toClient: false).ConfigureAwait(false);
        Disarm();
        return status;
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<CopyStatus> CopyLengthAsync(PipeReader source, PipeWriter destination, long length, bool toClient)
    {
        var remaining = length;
        while (remaining > 0)
        {
            Arm(TimeoutKind.BodyIdle, _bodyIdle);
            var result = await source.ReadAsync().ConfigureAwait(false);
            if (result.IsCanceled)
            {
                return CopyStatus.TimedOut;
            }
            var buffer = result.Buffer;
            var take = Math.Min(remaining, buffer.Length);
            if (take > 0)
            {
                var body = buffer.Slice(0, take);
                foreach (var segment in body)
                {
                    destination.Write(segment.Span);
                }
                remaining -= take;
                CountBody(take, toClient);
                source.AdvanceTo(body.End);
            }
            else
            {
                source.AdvanceTo(buffer.Start, buffer.End);
            }
            if (remaining == 0)
            {
                break;
            }
            if (result.IsCompleted)
            {
                return CopyStatus.SourceEnded;
            }
            var flushed = await destination.FlushAsync().ConfigureAwait(false);
            if (flushed.IsCanceled)
            {
                return CopyStatus.TimedOut;
            }
            if (flushed.IsCompleted)
            {
                return CopyStatus.DestinationEnded;
            }
        }
        return CopyStatus.Completed;
    }

    /// <summary>Decodes a chunked body and writes its data, re-chunked when <paramref name="encode"/> (extensions and trailers are dropped).</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<CopyStatus> CopyChunkedAsync(PipeReader source, PipeWriter destination, bool encode, long maxBodyBytes, bool toClient)
    {
        _chunked.Reset();
        long total = 0;
        while (true)
        {
            Arm(TimeoutKind.BodyIdle, _bodyIdle);
            var result = await source.ReadAsync().ConfigureAwait(false);
            if (result.IsCanceled)
            {
                return CopyStatus.TimedOut;
            }
            var buffer = result.Buffer;
            var status = DecodeChunks(buffer, destination, encode, ref total, out var consumed);
            source.AdvanceTo(buffer.GetPosition(consumed), buffer.End);
            if (total > maxBodyBytes)
            {
                return CopyStatus.TooLarge;
            }
            if (status == Http1ChunkStatus.Complete)
            {
                if (encode)
                {
                    destination.Write("0\r\n\r\n"u8);
                    CountBody(5, toClient);
                }
                return CopyStatus.Completed;
            }
            if (status == Http1ChunkStatus.Error)
            {
                return CopyStatus.InvalidFraming;
            }
            if (result.IsCompleted)
            {
                return CopyStatus.SourceEnded;
            }
            var flushed = await destination.FlushAsync().ConfigureAwait(false);
            if (flushed.IsCanceled)
            {
                return CopyStatus.TimedOut;
            }
            if (flushed.IsCompleted)
            {
                return CopyStatus.DestinationEnded;
            }
        }
    }

    /// <summary>Runs the decoder over every segment; returns how it stopped and how many bytes it consumed.</summary>
    private Http1ChunkStatus DecodeChunks(in ReadOnlySequence<byte> buffer, PipeWriter destination, bool encode, ref long total, out long consumed)
    {
        consumed = 0;
        var writer = new BufferWriter<PipeWriter>(destination);
        long data = 0;
        var status = Http1ChunkStatus.NeedMoreData;
        foreach (var memory in buffer)
        {
            var span = memory.Span;
            while (span.Length > 0)
            {
                status = _chunked.Read(span, out var used, out var dataOffset, out var dataLength);
                if (status == Http1ChunkStatus.Data)
                {
                    if (encode)
                    {
                        writer.WriteHex(dataLength);
                        writer.Write("\r\n"u8);
                        writer.Write(span.Slice(dataOffset, dataLength));
                        writer.Write("\r\n"u8);
                    }
                    else
                    {
                        writer.Write(span.Slice(dataOffset, dataLength));
                    }
                    data += dataLength;
                }
                consumed += used;
                span = span[used..];
                if (status is Http1ChunkStatus.Complete or Http1ChunkStatus.Error)
                {
                    goto done;
                }
            }
        }
    done:
        var written = writer.Buffered;
        writer.Commit();
        total += data;
        if (ReferenceEquals(destination, _output))
        {
            _bytesOut += written;
            _gateway.Metrics.AddBytesOut(written);
        }
        else if (status != Http1ChunkStatus.Error)
        {
            _bytesIn += consumed;
            _gateway.Metrics.AddBytesIn(consumed);
        }
        return status;
    }

    /// <summary>A body that ends when the upstream closes; to an HTTP/1.1 client it goes chunked.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<CopyStatus> CopyUntilCloseAsync(PipeReader source, PipeWriter destination, bool encode)
    {
        while (true)
        {
            Arm(TimeoutKind.BodyIdle, _bodyIdle);
            System.IO.Pipelines.ReadResult result;
            try
            {
                result = await source.ReadAsync().ConfigureAwait(false);
            }
            catch (Exception ex) when (IsConnectionFault(ex))
            {
                return CopyStatus.SourceEnded;
            }
            if (result.IsCanceled)
            {
                return CopyStatus.TimedOut;
            }
            var buffer = result.Buffer;
            if (!buffer.IsEmpty)
            {
                var writer = new BufferWriter<PipeWriter>(destination);
                if (encode)
                {
                    writer.WriteHex(buffer.Length);
                    writer.Write("\r\n"u8);
                }
                foreach (var segment in buffer)
                {
                    writer.Write(segment.Span);
                }
                if (encode)
                {
                    writer.Write("\r\n"u8);
                }
                CountBody(writer.Buffered, toClient: true);
                writer.Commit();
            }
            source.AdvanceTo(buffer.End);
            if (result.IsCompleted)
            {
                if (encode)
                {
                    destination.Write("0\r\n\r\n"u8);
                    CountBody(5, toClient: true);
                }
                return CopyStatus.Completed;
            }
            var flushed = await destination.FlushAsync().ConfigureAwait(false);
            if (flushed.IsCanceled)
            {
                return CopyStatus.TimedOut;
            }
            if (flushed.IsCompleted)
            {
                return CopyStatus.DestinationEnded;
            }
        }
    }

    private void CountBody(long count, bool toClient)
    {
        if (toClient)
        {
            _bytesOut += count;
            _gateway.Metrics.AddBytesOut(count);
        }
        else
        {
            _bytesIn += count;
            _gateway.Metrics.AddBytesIn(count);
        }
    }
}
