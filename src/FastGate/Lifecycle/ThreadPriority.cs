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
    private const int SCHED_IDLE = 5;
    private const int PRIO_PROCESS = 0;
    private const int LowestNice = 19;

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
}
