using System.Buffers;
using System.IO.Pipelines;
using System.Runtime.CompilerServices;

namespace FastGate.Proxy.Upstreams.Http2;

/// <summary>
/// The exchange's side of a stream's response pipe: the pipe's reader, counting what the exchange
/// consumes so the stream gives the server more window only as fast as the client takes the
/// response (a slow client slows its own stream, never the connection's others).
/// </summary>
internal sealed class Http2ResponseReader(PipeReader inner, Http2UpstreamStream stream) : PipeReader
{
    private ReadOnlySequence<byte> _last;

    public override bool TryRead(out ReadResult result)
    {
        if (inner.TryRead(out result))
        {
            _last = result.Buffer;
            return true;
        }
        return false;
    }

    public override ValueTask<ReadResult> ReadAsync(CancellationToken cancellationToken = default)
    {
        var read = inner.ReadAsync(cancellationToken);
        if (read.IsCompletedSuccessfully)
        {
            var result = read.Result;
            _last = result.Buffer;
            return new ValueTask<ReadResult>(result);
        }
        return ReadSlowAsync(read);
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<ReadResult> ReadSlowAsync(ValueTask<ReadResult> read)
    {
        var result = await read.ConfigureAwait(false);
        _last = result.Buffer;
        return result;
    }

    public override void AdvanceTo(SequencePosition consumed) => AdvanceTo(consumed, consumed);

    public override void AdvanceTo(SequencePosition consumed, SequencePosition examined)
    {
        // Measured before the pipe may give the consumed segments back.
        var taken = _last.Slice(_last.Start, consumed).Length;
        _last = default;
        inner.AdvanceTo(consumed, examined);
        if (taken > 0)
        {
            stream.OnResponseConsumed(taken);
        }
    }

    public override void CancelPendingRead() => inner.CancelPendingRead();

    public override void Complete(Exception? exception = null) => inner.Complete(exception);
}
