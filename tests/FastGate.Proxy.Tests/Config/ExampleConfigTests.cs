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
        Assert.Equal(["web", "db"], result.Model.Listeners.Select(l => l.Name));
        Assert.Equal(3, result.Model.Routes.Count);
        Assert.Equal(3, result.Model.Clusters.Count);
    }

    [Fact]
    public void Load_ApiGatewayExample_IsValidWithConsumersAndAuth()
    {
        var result = ConfigLoader.Load(Path.Combine(RepositoryRoot(), "configs", "examples", "api-gateway.toml"));

        Assert.True(result.IsValid, string.Join("\n", result.Errors));
        Assert.Equal(["alice", "mobile-app"], result.Model.Consumers.Keys.Order());
        Assert.Equal(600, result.Model.Consumers["alice"].RequestsPerMinute);
        Assert.Equal([AuthMethod.Jwt, AuthMethod.ApiKey], result.Model.Routes[1].Auth!.Methods);
        Assert.DoesNotContain("demo-alice-key-change-me", result.Model.RedactedText);
    }

    [Fact]
    public void Load_AiGatewayExample_IsValidWithEveryProviderKind()
    {
        var result = ConfigLoader.Load(Path.Combine(RepositoryRoot(), "configs", "examples", "ai-gateway.toml"));

        Assert.True(result.IsValid, string.Join("\n", result.Errors));
        Assert.Equal(Enum.GetValues<ProviderKind>().Order(), result.Model.Providers.Values.Select(p => p.Kind).Order());
        Assert.True(Assert.Single(result.Model.Routes).Ai);
        Assert.Equal(5, result.Model.Models.Count);
        Assert.DoesNotContain("mock-openai-key-1", result.Model.RedactedText);
    }

    [Fact]
    public void Load_Http2Example_ServesH2cAndSendsGrpcToAnHttp2Cluster()
    {
        var result = ConfigLoader.Load(Path.Combine(RepositoryRoot(), "configs", "examples", "http2.toml"));

        Assert.True(result.IsValid, string.Join("\n", result.Errors));
        Assert.True(Assert.Single(result.Model.Listeners).H2c);
        Assert.Equal(128, result.Model.Http2.MaxConcurrentStreams);
        Assert.Equal(UpstreamProtocol.H2c, result.Model.Clusters["grpc"].Protocol);
        Assert.Equal(UpstreamProtocol.Http1, result.Model.Clusters["backend"].Protocol);
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
