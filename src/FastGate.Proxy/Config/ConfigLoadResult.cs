using System.Diagnostics.CodeAnalysis;

namespace FastGate.Proxy.Config;

/// <summary>
/// What <see cref="ConfigLoader"/> produced: a model when the file is valid, otherwise every error
/// found, ordered by position. Never both.
/// </summary>
public sealed class ConfigLoadResult
{
    private ConfigLoadResult(ConfigModel? model, IReadOnlyList<ConfigError> errors)
    {
        Model = model;
        Errors = errors;
    }

    public ConfigModel? Model { get; }

    public IReadOnlyList<ConfigError> Errors { get; }

    [MemberNotNullWhen(true, nameof(Model))]
    public bool IsValid => Model is not null;

    internal static ConfigLoadResult Success(ConfigModel model) => new(model, []);

    internal static ConfigLoadResult Failure(IReadOnlyList<ConfigError> errors) => new(null, errors);
}
