// STUB: replaced by the config branch.
namespace FastGate.Proxy.Config;
public static class ConfigLoader
{
    public static ConfigLoadResult Load(string path) => throw new NotImplementedException();
}
public sealed class ConfigLoadResult
{
    public ConfigModel? Model { get; init; }
    public IReadOnlyList<ConfigError> Errors { get; init; } = [];
}
