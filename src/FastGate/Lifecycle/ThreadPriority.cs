using System.Runtime.InteropServices;

namespace FastGate.Lifecycle;

/// <summary>
/// Puts the calling thread in the background for the kernel's scheduler. On Linux, scheduling
/// policy and nice value belong to a thread, and <c>pid = 0</c> names the caller alone; moving a
/// thread down needs no privilege. .NET's <see cref="Thread.Priority"/> does not change either
/// there, hence libc.
/// </summary>
internal static partial class ThreadPriority
{
    private const int SCHED_OTHER = 0;
    private const int SCHED_IDLE = 5;
    private const int PRIO_PROCESS = 0;
    private const int LowestNice = 19;

    /// <summary>The kernel's id of the calling thread, for <see cref="LetCompete"/>; 0 where there is none.</summary>
    public static int CurrentThreadId()
    {
        if (!OperatingSystem.IsLinux())
        {
            return 0;
        }
        try
        {
            return gettid();
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
        {
            return 0;
        }
    }

    /// <summary>
    /// Moves a background thread of this process from SCHED_IDLE to the normal policy at nice 19,
    /// so it gets a small share of a saturated core instead of none. No privilege is needed: the
    /// nice value goes up first, and a thread may leave SCHED_IDLE for a nice value its limit
    /// allows (Linux 2.6.39 and later). Best effort, like <see cref="MoveCurrentToBackground"/>.
    /// </summary>
    public static void LetCompete(int threadId)
    {
        if (threadId == 0)
        {
            return;
        }
        try
        {
            _ = setpriority(PRIO_PROCESS, threadId, LowestNice);
            var param = 0;
            _ = sched_setscheduler(threadId, SCHED_OTHER, ref param);
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
        {
        }
    }

    /// <summary>
    /// SCHED_IDLE: any other thread that wakes takes the core at once. A nice-19 thread, by
    /// contrast, keeps the core until its time slice ends (a few milliseconds), which a request
    /// waiting behind it sees. nice 19 is the fall-back where SCHED_IDLE is refused.
    /// Best effort: a platform or sandbox that refuses both leaves the thread as it was.
    /// </summary>
    public static void MoveCurrentToBackground()
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }
        try
        {
            var param = 0;
            if (sched_setscheduler(0, SCHED_IDLE, ref param) != 0)
            {
                _ = setpriority(PRIO_PROCESS, 0, LowestNice);
            }
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
        {
        }
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial int sched_setscheduler(int pid, int policy, ref int param);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int setpriority(int which, int who, int prio);

    [LibraryImport("libc")]
    private static partial int gettid();
}
