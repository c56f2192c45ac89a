using System.Runtime.InteropServices;

namespace FastGate.Lifecycle;

/// <summary>
/// A daemon started with SIGHUP ignored (under <c>nohup</c>, or by a supervisor that ignores
/// it) inherits that disposition, and .NET then installs no handler for it: SIGHUP would never
/// reload. Reload is what SIGHUP means to this daemon, as to nginx, so the inherited ignore is
/// dropped before the handler is registered.
/// </summary>
internal static partial class HangUpSignal
{
    private const int SIGHUP = 1;
    private static readonly nint SIG_DFL = 0;
    private static readonly nint SIG_IGN = 1;

    public static void RestoreDefault()
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }
        try
        {
            // Before registration the disposition is the default or an inherited ignore (no
            // handler is installed yet), so setting the default and putting back whatever else
            // was there leaves no window for a lost signal.
            var previous = signal(SIGHUP, SIG_DFL);
            if (previous != SIG_IGN)
            {
                _ = signal(SIGHUP, previous);
            }
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
        {
        }
    }

    [LibraryImport("libc")]
    private static partial nint signal(int signum, nint handler);
}
