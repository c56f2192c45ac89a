using System.Runtime.InteropServices;

namespace FastGate.Ai.Metering;

/// <summary>
/// fsync of a folder, so a file just created (or renamed) in it is still there after a power cut:
/// fsyncing the file makes its bytes durable, not its name. .NET has no call for it, so libc's.
/// </summary>
internal static partial class DirectorySync
{
    private const int O_RDONLY = 0;
    private const int O_CLOEXEC = 0x80000;

    /// <summary>Best effort: false where the platform has no such call or the folder cannot be opened.</summary>
    public static bool Flush(string folder)
    {
        if (!OperatingSystem.IsLinux())
        {
            return false;
        }
        var fd = Open(folder, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
        {
            return false;
        }
        var synced = Fsync(fd) == 0;
        Close(fd);
        return synced;
    }

    [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int Fsync(int fd);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int Close(int fd);
}
