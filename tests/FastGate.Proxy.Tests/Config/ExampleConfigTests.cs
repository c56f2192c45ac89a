using FastGate.Proxy.Config;

namespace FastGate.Proxy.Tests.Config;

/// <summary>The shipped examples must stay valid as the loader evolves.</summary>
public class ExampleConfigTests
{
    [Fact]
    public void Load_FullExample_IsValid()
    {
        var result = ConfigLoader.Load(Path.Combine(RepositoryRoot(), "configs", "examples", "full.toml"));

        Assert.True(result.IsValid, string.Join("\n", result.Errors));
        Assert.Single(result.Model.Listeners);
        Assert.Equal(3, result.Model.Routes.Count);
        Assert.Equal(3, result.Model.Clusters.Count);
    }

    private static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "FastGate.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException("FastGate.sln not found above " + AppContext.BaseDirectory);
    }
}
