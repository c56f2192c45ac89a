namespace FastGate.Proxy.Config;

public enum LogLevel
{
    Error,
    Warn,
    Info,
    Debug,
}
