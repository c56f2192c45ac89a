namespace FastGate.Core.Transport.Epoll;

/// <summary>
/// The kernel pipes a loop's <see cref="SpliceRelay"/>s move bytes through. A direction holds one
/// only while bytes are in flight and gives it back empty, so a few pipes serve every idle or
/// slow tunnel of the loop, and an idle tunnel holds no descriptor beyond its two sockets. One
/// per loop thread (each loop is a thread of its own); kept for the thread's life.
/// </summary>
internal sealed unsafe class SplicePipePool
{
    /// <summary>
    /// What one splice moves at most. 256 KiB (the default pipe is 64 KiB) quarters the calls per
    /// MiB; a pipe holds page references, not copies, so the size costs no memory until used.
    /// </summary>
    public const int PipeCapacity = 256 * 1024;

    // Empty pipes kept for reuse; more than this are closed when returned.
    private const int MaxIdle = 64;

    [ThreadStatic]
    private static SplicePipePool? t_current;

    private readonly long[] _idle = new long[MaxIdle];
    private int _count;

    /// <summary>The calling loop thread's pool.</summary>
    public static SplicePipePool Current => t_current ??= new SplicePipePool();

    /// <summary>
    /// An empty pipe as its read and write ends (non-blocking), or false when the kernel refuses
    /// one (descriptors exhausted).
    /// </summary>
    public bool TryRent(out int readEnd, out int writeEnd)
    {
        if (_count > 0)
        {
            var pipe = _idle[--_count];
            readEnd = (int)(pipe >> 32);
            writeEnd = (int)pipe;
            return true;
        }
        var fds = stackalloc int[2];
        if (Libc.Pipe(fds, Libc.O_NONBLOCK | Libc.O_CLOEXEC) != 0)
        {
            readEnd = writeEnd = -1;
            return false;
        }
        readEnd = fds[0];
        writeEnd = fds[1];
        // Best effort: a user over its pipe-pages quota keeps the default size, which still works.
        Libc.FileControl(writeEnd, Libc.F_SETPIPE_SZ, PipeCapacity);
        return true;
    }

    /// <summary>Takes back an empty pipe; one that may still hold bytes must be closed instead (<see cref="Close"/>).</summary>
    public void Return(int readEnd, int writeEnd)
    {
        if (_count == MaxIdle)
        {
            Close(readEnd, writeEnd);
            return;
        }
        _idle[_count++] = ((long)readEnd << 32) | (uint)writeEnd;
    }

    public static void Close(int readEnd, int writeEnd)
    {
        Libc.Close(readEnd);
        Libc.Close(writeEnd);
    }
}
