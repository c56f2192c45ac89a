using System.Diagnostics.CodeAnalysis;

namespace FastGate.Proxy.Config;

/// <summary>
/// Resolves a secret value: "env:NAME" reads an environment variable, "file:PATH" reads a file
/// (relative to the config file's folder; trailing line breaks removed, since editors add them),
/// anything else is the secret itself. An empty result is an error: an empty token would let
/// anyone in.
/// </summary>
public static class SecretResolver
{
    public static bool TryResolve(string text, string baseDirectory, [NotNullWhen(true)] out string? value, [NotNullWhen(false)] out string? error)
    {
        value = null;
        if (text.StartsWith("env:", StringComparison.Ordinal))
        {
            var name = text[4..];
            if (name.Length == 0)
            {
                error = "missing environment variable name after 'env:'";
                return false;
            }

            var env = Environment.GetEnvironmentVariable(name);
            if (string.IsNullOrEmpty(env))
            {
                error = $"environment variable '{name}' is not set";
                return false;
            }

            value = env;
        }
        else if (text.StartsWith("file:", StringComparison.Ordinal))
        {
            var path = text[5..];
            if (path.Length == 0)
            {
                error = "missing path after 'file:'";
                return false;
            }

            var fullPath = Path.GetFullPath(path, baseDirectory);
            try
            {
                value = File.ReadAllText(fullPath).TrimEnd('\r', '\n');
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException)
            {
                error = $"cannot read secret file '{fullPath}': {e.Message}";
                return false;
            }

            if (value.Length == 0)
            {
                error = $"secret file '{fullPath}' is empty";
                return false;
            }
        }
        else
        {
            value = text;
        }

        if (value.Length == 0)
        {
            error = "secret is empty";
            value = null;
            return false;
        }

        error = null;
        return true;
    }
}
