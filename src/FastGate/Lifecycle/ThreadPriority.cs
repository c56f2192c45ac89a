using System.Runtime.InteropServices;

namespace FastGate.Lifecycle;

/// <summary>
/// Lowers the calling thread's scheduling priority. On Linux the nice value belongs to a thread,
/// and <c>setpriority(PRIO_PROCESS, 0, n)</c> applies to the caller alone; raising the value needs
/// no privilege. .NET's <see cref="Thread.Priority"/> does not change it there, hence libc.
/// </summary>
internal static partial class ThreadPriority
{
    private const int PRIO_PROCESS = 0;

    /// <summary>Best effort: a platform or sandbox that refuses leaves the thread as it was.</summary>
    public static void LowerCurrent(int nice)
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }
        try
        {
            _ = setpriority(PRIO_PROCESS, 0, nice);
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
        {
        }
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial int setpriority(int which, int who, int prio);
}
