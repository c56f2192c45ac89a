namespace FastGate.Lifecycle;

/// <summary>
/// `--pid-file PATH`: the daemon's process id, written once it serves and removed when it exits, so
/// `kill -HUP "$(cat PATH)"` signals exactly this daemon even when several run on one machine.
/// </summary>
public sealed class PidFile : IDisposable
{
    private readonly string _path;
    private readonly string _content;

    private PidFile(string path, string content)
    {
        _path = path;
        _content = content;
    }

    /// <summary>Writes the file atomically (a reader never sees it half written); throws on I/O errors.</summary>
    public static PidFile Write(string path)
    {
        var content = Environment.ProcessId + "\n";
        var temp = path + ".tmp";
        File.WriteAllText(temp, content);
        File.Move(temp, path, overwrite: true);
        return new PidFile(path, content);
    }

    public void Dispose()
    {
        try
        {
            // Another daemon started with the same path owns it now: leave its file alone.
            if (File.Exists(_path) && File.ReadAllText(_path) == _content)
            {
                File.Delete(_path);
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
