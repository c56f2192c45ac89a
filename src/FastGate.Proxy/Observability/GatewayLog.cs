using FastGate.Proxy.Config;

namespace FastGate.Proxy.Observability;

/// <summary>
/// The daemon's own log: one line per event on stderr (journald adds the time), filtered by
/// [log] level. Events are rare (start, reload, errors), so plain strings are fine here.
/// </summary>
public sealed class GatewayLog
{
    private readonly TextWriter _output;

    public GatewayLog(TextWriter? output = null)
    {
        _output = output ?? Console.Error;
        UpstreamFailures = new UpstreamFailureLog(this);
    }

    /// <summary>Rate-limited warn lines for upstream failures.</summary>
    public UpstreamFailureLog UpstreamFailures { get; }

    public LogLevel Level { get; set; } = LogLevel.Info;

    public bool IsEnabled(LogLevel level) => level <= Level;

    public void Error(string message) => Write(LogLevel.Error, "error", message);

    public void Warn(string message) => Write(LogLevel.Warn, "warn", message);

    public void Info(string message) => Write(LogLevel.Info, "info", message);

    public void Debug(string message) => Write(LogLevel.Debug, "debug", message);

    private void Write(LogLevel level, string name, string message)
    {
        if (!IsEnabled(level))
        {
            return;
        }
        lock (_output)
        {
            _output.WriteLine($"{DateTime.UtcNow:yyyy-MM-ddTHH:mm:ss.fffZ} {name} {message}");
            _output.Flush();
        }
    }
}
