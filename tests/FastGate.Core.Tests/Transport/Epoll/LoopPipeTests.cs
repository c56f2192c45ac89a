using System.Buffers;
using System.IO.Pipelines;
using FastGate.Core.Transport.Epoll;

namespace FastGate.Core.Tests.Transport.Epoll;

/// <summary>
/// <see cref="LoopPipe"/> on a real loop: each test runs its writer and reader on the loop thread,
/// as the TLS record pumps and the HTTP code do, and looks at the state between the steps.
/// </summary>
public sealed class LoopPipeTests : IDisposable
{
    private const int Pause = 64 * 1024;
    private const int Resume = 32 * 1024;

    private readonly LoopTestHarness _harness = new();

    public void Dispose() => _harness.Dispose();

    private LoopPipe NewPipe() => new(_harness.Loop, Pause, Resume);

    private Task<T> OnLoop<T>(Func<ValueTask<T>> action) => _harness.OnLoop(action);

    private Task<T> OnLoop<T>(Func<T> action) => _harness.OnLoop(action);

    private static byte[] Drain(PipeReader reader, in ReadResult result)
    {
        var bytes = result.Buffer.ToArray();
        reader.AdvanceTo(result.Buffer.End);
        return bytes;
    }

    [Fact]
    public async Task Flush_WithReadPending_CompletesTheReadWithTheBytes()
    {
        var (pending, read, bytes, holdsAfter) = await OnLoop(async () =>
        {
            var pipe = NewPipe();
            var reading = pipe.Reader.ReadAsync();
            var pendingBefore = !reading.IsCompleted;
            pipe.Writer.Write("hello"u8);
            var flushed = await pipe.Writer.FlushAsync();
            Assert.False(flushed.IsCompleted);
            var readDone = reading.IsCompleted;
            var result = await reading;
            var data = Drain(pipe.Reader, result);
            return (pendingBefore, readDone, data, pipe.HoldsBuffer);
        });
        Assert.True(pending);
        Assert.True(read);
        Assert.Equal("hello"u8.ToArray(), bytes);
        Assert.False(holdsAfter);
    }

    [Fact]
    public async Task Advance_WithoutFlush_IsNotVisibleToTheReader()
    {
        var (visibleBefore, visibleAfter) = await OnLoop(() =>
        {
            var pipe = NewPipe();
            pipe.Writer.Write("abc"u8);
            var before = pipe.Reader.TryRead(out _);
            _ = pipe.Writer.FlushAsync();
            var after = pipe.Reader.TryRead(out var result) && result.Buffer.Length == 3;
            return (before, after);
        });
        Assert.False(visibleBefore);
        Assert.True(visibleAfter);
    }

    [Fact]
    public async Task Drained_AfterEveryByteIsConsumed_HoldsNoBlock()
    {
        var holds = await OnLoop(async () =>
        {
            var pipe = NewPipe();
            pipe.Writer.Write(new byte[100]);
            await pipe.Writer.FlushAsync();
            var result = await pipe.Reader.ReadAsync();
            pipe.Reader.AdvanceTo(result.Buffer.GetPosition(40), result.Buffer.End);
            // Nothing new: the rest stays held until consumed, and a read waits for more.
            var waits = !pipe.Reader.TryRead(out _) && pipe.HoldsBuffer;
            pipe.Writer.Write(new byte[10]);
            await pipe.Writer.FlushAsync();
            result = await pipe.Reader.ReadAsync();
            var length = result.Buffer.Length;
            pipe.Reader.AdvanceTo(result.Buffer.End);
            return (waits, length, pipe.HoldsBuffer);
        });
        Assert.True(holds.waits);
        Assert.Equal(70, holds.length);
        Assert.False(holds.HoldsBuffer);
    }

    [Fact]
    public async Task GetSpan_LeftUnused_GivesTheBlockBack()
    {
        var (heldWhileWriting, heldAfter) = await OnLoop(() =>
        {
            var pipe = NewPipe();
            _ = pipe.Writer.GetSpan();
            var writing = pipe.HoldsBuffer;
            pipe.Writer.Advance(0);
            return (writing, pipe.HoldsBuffer);
        });
        Assert.True(heldWhileWriting);
        Assert.False(heldAfter);
    }

    [Fact]
    public async Task GetSpanAndGetMemory_Mixed_PastABlock_ReadBackInOrder()
    {
        var (written, read) = await OnLoop(async () =>
        {
            var pipe = NewPipe();
            var expected = new byte[3 * 16 * 1024 + 7];
            for (var i = 0; i < expected.Length; i++)
            {
                expected[i] = (byte)(i * 31);
            }
            var at = 0;
            var useSpan = true;
            while (at < expected.Length)
            {
                // Hints larger than what a block has left start the next block.
                var n = Math.Min(5000, expected.Length - at);
                var target = useSpan ? pipe.Writer.GetSpan(n) : pipe.Writer.GetMemory(n).Span;
                Assert.True(target.Length >= n);
                expected.AsSpan(at, n).CopyTo(target);
                pipe.Writer.Advance(n);
                at += n;
                useSpan = !useSpan;
            }
            await pipe.Writer.FlushAsync();
            var result = await pipe.Reader.ReadAsync();
            return (expected, Drain(pipe.Reader, result));
        });
        Assert.Equal(written, read);
    }

    [Fact]
    public async Task Drain_WhileTheWriterHoldsASpan_LeavesTheWriterItsBlock()
    {
        var (bytes, second) = await OnLoop(async () =>
        {
            var pipe = NewPipe();
            pipe.Writer.Write("one"u8);
            await pipe.Writer.FlushAsync();
            // The writer has a span of the block the reader drains: the block must stay valid.
            var span = pipe.Writer.GetMemory(3);
            var result = await pipe.Reader.ReadAsync();
            var first = Drain(pipe.Reader, result);
            "two"u8.CopyTo(span.Span);
            pipe.Writer.Advance(3);
            await pipe.Writer.FlushAsync();
            result = await pipe.Reader.ReadAsync();
            return (first, Drain(pipe.Reader, result));
        });
        Assert.Equal("one"u8.ToArray(), bytes);
        Assert.Equal("two"u8.ToArray(), second);
    }

    [Fact]
    public async Task Flush_PastThePauseThreshold_WaitsUntilTheReaderConsumesBelowResume()
    {
        var (pendingAtFull, pendingAboveResume, completedBelowResume) = await OnLoop(async () =>
        {
            var pipe = NewPipe();
            pipe.Writer.Write(new byte[Pause]);
            var flushing = pipe.Writer.FlushAsync();
            var atFull = !flushing.IsCompleted;
            var result = await pipe.Reader.ReadAsync();
            // Leaves Resume bytes: not below the threshold yet.
            var kept = result.Buffer.GetPosition(Pause - Resume);
            pipe.Reader.AdvanceTo(kept, kept);
            var aboveResume = !flushing.IsCompleted;
            result = await pipe.Reader.ReadAsync();
            pipe.Reader.AdvanceTo(result.Buffer.GetPosition(1), result.Buffer.End);
            var below = flushing.IsCompleted && !(await flushing).IsCompleted;
            return (atFull, aboveResume, below);
        });
        Assert.True(pendingAtFull);
        Assert.True(pendingAboveResume);
        Assert.True(completedBelowResume);
    }

    [Fact]
    public async Task Write_LargerThanOneBlock_ReadsBackWholeAndInOrder()
    {
        var size = 3 * _harness.Loop.Buffers.BlockSize + 1234;
        var sent = TestPattern.Create(size);
        var (received, holdsAfter, reads) = await OnLoop(async () =>
        {
            var pipe = NewPipe();
            var collected = new ArrayBufferWriter<byte>(size);
            var readCount = 0;
            async Task ReadAllAsync()
            {
                while (true)
                {
                    var result = await pipe.Reader.ReadAsync();
                    readCount++;
                    // A few bytes at a time: the writer's flush waits and resumes as the reader goes.
                    var take = result.Buffer.Slice(0, Math.Min(result.Buffer.Length, 10_000));
                    foreach (var segment in take)
                    {
                        collected.Write(segment.Span);
                    }
                    pipe.Reader.AdvanceTo(take.End, take.End);
                    if (result.IsCompleted && take.Length == result.Buffer.Length)
                    {
                        pipe.Reader.Complete();
                        return;
                    }
                }
            }
            var reading = ReadAllAsync();
            pipe.Writer.Write(sent);
            var flushed = await pipe.Writer.FlushAsync();
            Assert.False(flushed.IsCompleted);
            pipe.Writer.Complete();
            await reading;
            return (collected.WrittenSpan.ToArray(), pipe.HoldsBuffer, readCount);
        });
        Assert.Equal(-1, TestPattern.FirstMismatch(received, 0));
        Assert.Equal(size, received.Length);
        Assert.False(holdsAfter);
        Assert.True(reads > 1);
    }

    [Fact]
    public async Task CompleteWriter_ReaderReadsTheBufferedBytesThenTheEnd()
    {
        var (bytes, completed, holds) = await OnLoop(async () =>
        {
            var pipe = NewPipe();
            var reading = pipe.Reader.ReadAsync();
            pipe.Writer.Write("last"u8);
            // Advanced, not flushed: completing makes it visible, as a Pipe does.
            pipe.Writer.Complete();
            var result = await reading;
            var data = result.Buffer.ToArray();
            var end = result.IsCompleted;
            pipe.Reader.AdvanceTo(result.Buffer.End);
            pipe.Reader.Complete();
            return (data, end, pipe.HoldsBuffer);
        });
        Assert.Equal("last"u8.ToArray(), bytes);
        Assert.True(completed);
        Assert.False(holds);
    }

    [Fact]
    public async Task CompleteWriter_WithAnError_TheReadThrowsIt()
    {
        var thrown = await OnLoop(async () =>
        {
            var pipe = NewPipe();
            var reading = pipe.Reader.ReadAsync();
            pipe.Writer.Complete(new IOException("broken"));
            try
            {
                await reading;
                return null;
            }
            catch (IOException ex)
            {
                return ex.Message;
            }
        });
        Assert.Equal("broken", thrown);
    }

    [Fact]
    public async Task CompleteReader_APendingFlushCompletesAsCompletedAndTheBytesGo()
    {
        var (pendingFlushEnded, nextFlushCompleted, holds) = await OnLoop(async () =>
        {
            var pipe = NewPipe();
            pipe.Writer.Write(new byte[Pause + 10]);
            var flushing = pipe.Writer.FlushAsync();
            pipe.Reader.Complete();
            var first = flushing.IsCompleted && (await flushing).IsCompleted;
            pipe.Writer.Write("more"u8);
            var second = (await pipe.Writer.FlushAsync()).IsCompleted;
            return (first, second, pipe.HoldsBuffer);
        });
        Assert.True(pendingFlushEnded);
        Assert.True(nextFlushCompleted);
        Assert.False(holds);
    }

    [Fact]
    public async Task CancelPendingRead_APendingReadReturnsCanceled_AnEarlyCancelTheNextRead()
    {
        var (pendingCanceled, earlyCanceled, thenWaits) = await OnLoop(async () =>
        {
            var pipe = NewPipe();
            var reading = pipe.Reader.ReadAsync();
            pipe.Reader.CancelPendingRead();
            var pending = (await reading).IsCanceled;
            pipe.Reader.CancelPendingRead();
            var early = (await pipe.Reader.ReadAsync()).IsCanceled;
            var waits = !pipe.Reader.ReadAsync().IsCompleted;
            return (pending, early, waits);
        });
        Assert.True(pendingCanceled);
        Assert.True(earlyCanceled);
        Assert.True(thenWaits);
    }

    [Fact]
    public async Task CancelPendingRead_FromAnotherThread_IsTakenOnTheLoop()
    {
        var pipe = NewPipe();
        var reading = await OnLoop(() => pipe.Reader.ReadAsync().AsTask());
        pipe.Reader.CancelPendingRead();
        var result = await reading.WaitAsync(LoopTestHarness.Bound);
        Assert.True(result.IsCanceled);
    }

    [Fact]
    public async Task CancelPendingFlush_APendingFlushReturnsCanceled()
    {
        var canceled = await OnLoop(async () =>
        {
            var pipe = NewPipe();
            pipe.Writer.Write(new byte[Pause]);
            var flushing = pipe.Writer.FlushAsync();
            pipe.Writer.CancelPendingFlush();
            return (await flushing).IsCanceled;
        });
        Assert.True(canceled);
    }

    private LoopPipe NewPostingPipe() => new(_harness.Loop, Pause, Resume, postReaderWakes: true, postWriterWakes: true);

    [Fact]
    public async Task Flush_WithReaderWakesPosted_CompletesTheReadAfterTheTurnOnTheLoop()
    {
        var (inline, bytes, onLoop) = await OnLoop(async () =>
        {
            var pipe = NewPostingPipe();
            var reading = pipe.Reader.ReadAsync();
            pipe.Writer.Write("hello"u8);
            await pipe.Writer.FlushAsync();
            var completedInline = reading.IsCompleted;
            var result = await reading;
            var data = Drain(pipe.Reader, result);
            return (completedInline, data, EventLoop.Current == _harness.Loop);
        });
        Assert.False(inline);
        Assert.Equal("hello"u8.ToArray(), bytes);
        Assert.True(onLoop);
    }

    [Fact]
    public async Task AdvanceTo_WithWriterWakesPosted_ResumesTheWaitingFlushAfterTheTurn()
    {
        var (pending, inline, ended) = await OnLoop(async () =>
        {
            var pipe = NewPostingPipe();
            pipe.Writer.Write(new byte[Pause]);
            var flushing = pipe.Writer.FlushAsync();
            var waits = !flushing.IsCompleted;
            var result = await pipe.Reader.ReadAsync();
            pipe.Reader.AdvanceTo(result.Buffer.End);
            var completedInline = flushing.IsCompleted;
            var flushed = await flushing;
            return (waits, completedInline, flushed.IsCompleted || flushed.IsCanceled);
        });
        Assert.True(pending);
        Assert.False(inline);
        Assert.False(ended);
    }

    [Fact]
    public async Task CancelPendingRead_WithReaderWakesPosted_TheReadReturnsCanceledAfterTheTurn()
    {
        var (inline, canceled) = await OnLoop(async () =>
        {
            var pipe = NewPostingPipe();
            var reading = pipe.Reader.ReadAsync();
            pipe.Reader.CancelPendingRead();
            var completedInline = reading.IsCompleted;
            return (completedInline, (await reading).IsCanceled);
        });
        Assert.False(inline);
        Assert.True(canceled);
    }

    [Fact]
    public async Task CompleteWriter_WithAnErrorWhileAPostedWakeWaits_TheReadThrowsIt()
    {
        var thrown = await OnLoop(async () =>
        {
            var pipe = NewPostingPipe();
            var reading = pipe.Reader.ReadAsync();
            pipe.Writer.Write("abc"u8);
            await pipe.Writer.FlushAsync();
            pipe.Writer.Complete(new IOException("broken"));
            try
            {
                await reading;
                return "none";
            }
            catch (IOException ex)
            {
                return ex.Message;
            }
        });
        Assert.Equal("broken", thrown);
    }

    [Fact]
    public async Task Reset_AfterBothEndsComplete_ThePipeServesAnotherLifeFromEmpty()
    {
        var (bytes, canceled, completed, holds) = await OnLoop(async () =>
        {
            var pipe = NewPostingPipe();
            pipe.Writer.Write("old"u8);
            await pipe.Writer.FlushAsync();
            // A cancel nobody took, and both ends done with bytes unread: none of it outlives the reset.
            pipe.Reader.CancelPendingRead();
            pipe.Writer.Complete();
            pipe.Reader.Complete();
            pipe.Reset();
            var reading = pipe.Reader.ReadAsync();
            pipe.Writer.Write("new"u8);
            await pipe.Writer.FlushAsync();
            var result = await reading;
            var data = Drain(pipe.Reader, result);
            return (data, result.IsCanceled, result.IsCompleted, pipe.HoldsBuffer);
        });
        Assert.Equal("new"u8.ToArray(), bytes);
        Assert.False(canceled);
        Assert.False(completed);
        Assert.False(holds);
    }

    [Fact]
    public async Task Reset_WithAnEndStillOpen_Throws()
    {
        var refused = await OnLoop(() =>
        {
            var pipe = NewPipe();
            pipe.Writer.Complete();
            try
            {
                pipe.Reset();
                return false;
            }
            catch (InvalidOperationException)
            {
                return true;
            }
        });
        Assert.True(refused);
    }

    /// <summary>Counts the times it is told the pipe has something to read.</summary>
    private sealed class CountingWaiter : IParkedReader
    {
        public int Woken;

        public void OnReadable() => Woken++;
    }

    [Fact]
    public async Task Park_IdlePipe_HoldsNoBlock_AndAFlushWakesTheWaiterOnce_WhoReadsTheBytes()
    {
        var (parked, holdsWhileParked, wokenByAdvance, woken, bytes, parkedAgain) = await OnLoop(async () =>
        {
            var pipe = NewPipe();
            var waiter = new CountingWaiter();
            var parked = pipe.TryPark(waiter);
            var holds = pipe.HoldsBuffer;
            // Advanced and not flushed: nothing to read yet.
            pipe.Writer.Write("hel"u8);
            var byAdvance = waiter.Woken;
            pipe.Writer.Write("lo"u8);
            await pipe.Writer.FlushAsync();
            var result = await pipe.Reader.ReadAsync();
            var data = Drain(pipe.Reader, result);
            return (parked, holds, byAdvance, waiter.Woken, data, pipe.TryPark(waiter));
        });
        Assert.True(parked);
        Assert.False(holdsWhileParked);
        Assert.Equal(0, wokenByAdvance);
        Assert.Equal(1, woken);
        Assert.Equal("hello"u8.ToArray(), bytes);
        Assert.True(parkedAgain);
    }

    [Fact]
    public async Task Park_RefusedWhileBytesWait_OrTheWriterIsDone_OrACancelWaits()
    {
        var (withBytes, afterCancel, afterComplete) = await OnLoop(async () =>
        {
            var waiter = new CountingWaiter();
            var pipe = NewPipe();
            pipe.Writer.Write("x"u8);
            await pipe.Writer.FlushAsync();
            var withBytes = pipe.TryPark(waiter);

            var cancelled = NewPipe();
            cancelled.Reader.CancelPendingRead();
            var afterCancel = cancelled.TryPark(waiter);

            var completed = NewPipe();
            completed.Writer.Complete();
            return (withBytes, afterCancel, completed.TryPark(waiter));
        });
        Assert.False(withBytes);
        Assert.False(afterCancel);
        Assert.False(afterComplete);
    }

    [Fact]
    public async Task Park_TheEndOrAnErrorOrACancel_WakesTheWaiter_WhoReadsIt()
    {
        var (endWoken, endCompleted, errorWoken, errorThrown, cancelWoken, cancelSeen) = await OnLoop(async () =>
        {
            var ended = NewPipe();
            var endWaiter = new CountingWaiter();
            ended.TryPark(endWaiter);
            ended.Writer.Complete();
            var endRead = await ended.Reader.ReadAsync();

            var failed = NewPipe();
            var errorWaiter = new CountingWaiter();
            failed.TryPark(errorWaiter);
            failed.Writer.Complete(new IOException("broken record"));
            var thrown = false;
            try
            {
                await failed.Reader.ReadAsync();
            }
            catch (IOException)
            {
                thrown = true;
            }

            var cancelled = NewPipe();
            var cancelWaiter = new CountingWaiter();
            cancelled.TryPark(cancelWaiter);
            cancelled.Reader.CancelPendingRead();
            var cancelRead = await cancelled.Reader.ReadAsync();
            return (endWaiter.Woken, endRead.IsCompleted, errorWaiter.Woken, thrown, cancelWaiter.Woken, cancelRead.IsCanceled);
        });
        Assert.Equal(1, endWoken);
        Assert.True(endCompleted);
        Assert.Equal(1, errorWoken);
        Assert.True(errorThrown);
        Assert.Equal(1, cancelWoken);
        Assert.True(cancelSeen);
    }

    [Fact]
    public async Task Park_ReaderCompleted_ForgetsTheWaiter()
    {
        var woken = await OnLoop(() =>
        {
            var pipe = NewPipe();
            var waiter = new CountingWaiter();
            pipe.TryPark(waiter);
            pipe.Reader.Complete();
            pipe.Writer.Complete();
            return waiter.Woken;
        });
        Assert.Equal(0, woken);
    }
}
