using System.IO.Pipelines;

namespace FastGate.Core.Transport.Epoll;

/// <summary>The writing end of a <see cref="LoopPipe"/>; loop thread only.</summary>
internal sealed class LoopPipeWriter(LoopPipe pipe) : PipeWriter
{
    public override bool CanGetUnflushedBytes => true;

    public override long UnflushedBytes => pipe.UnflushedBytes;

    public override Memory<byte> GetMemory(int sizeHint = 0) => pipe.GetMemory(sizeHint);

    public override Span<byte> GetSpan(int sizeHint = 0) => pipe.GetSpan(sizeHint);

    public override void Advance(int bytes) => pipe.Advance(bytes);

    public override ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default) => pipe.FlushAsync();

    public override void CancelPendingFlush() => pipe.CancelPendingFlush();

    public override void Complete(Exception? exception = null) => pipe.CompleteWriter(exception);
}
