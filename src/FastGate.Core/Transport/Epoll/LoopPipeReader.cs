using System.IO.Pipelines;

namespace FastGate.Core.Transport.Epoll;

/// <summary>The reading end of a <see cref="LoopPipe"/>; loop thread only.</summary>
internal sealed class LoopPipeReader(LoopPipe pipe) : PipeReader
{
    public override ValueTask<ReadResult> ReadAsync(CancellationToken cancellationToken = default) => pipe.ReadAsync();

    public override bool TryRead(out ReadResult result) => pipe.TryRead(out result);

    public override void AdvanceTo(SequencePosition consumed) => pipe.AdvanceTo(consumed, consumed);

    public override void AdvanceTo(SequencePosition consumed, SequencePosition examined) => pipe.AdvanceTo(consumed, examined);

    public override void CancelPendingRead() => pipe.CancelPendingRead();

    public override void Complete(Exception? exception = null) => pipe.CompleteReader(exception);
}
