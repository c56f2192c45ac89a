using FastGate.Proxy.Config;

namespace FastGate.Proxy.Tests.Config;

/// <summary>[ai], [provider.NAME], [[model]] and ai = true routes.</summary>
public class AiConfigTests
{
    // The AI tables start on line 9 ([provider.oai] of OneProvider there).
    private const string Head = """
        [[listener]]
        name = "web"
        listen = "127.0.0.1:8080"

        [[route]]
        name = "llm"
        path_prefix = "/v1/"
        ai = true

        """;

    private const string OneProvider = """
        [provider.oai]
        kind = "openai"
        base_url = "http://127.0.0.1:9000"
        api_key = "sk-one"

        [[model]]
        name = "gpt-4o-mini"
        targets = ["oai/m"]

        """;

    private static ConfigModel Load(string text)
    {
        var result = ConfigLoader.LoadFromText(text, "test.toml");
        Assert.True(result.IsValid, string.Join("\n", result.Errors));
        return result.Model!;
    }

    private static string[] Errors(string text)
    {
        var result = ConfigLoader.LoadFromText(text, "test.toml");
        Assert.False(result.IsValid);
        return result.Errors.Select(e => e.ToString()).ToArray();
    }

    [Fact]
    public void FullAiConfig_IsReadIntoTheModels()
    {
        Environment.SetEnvironmentVariable("FASTGATE_TEST_AI_KEY", "sk-from-env");
        var model = Load(Head + """
            [ai]
            ledger = "/tmp/usage.ledger"
            ledger_fsync_interval = "50ms"
            max_request_bytes = "1MiB"
            request_deadline = "30s"
            drain_timeout = "10s"
            max_drains = 8

            [provider.oai]
            kind = "openai"
            base_url = "https://api.example.com/prefix"
            api_key = ["env:FASTGATE_TEST_AI_KEY", "sk-literal"]
            timeout = "20s"

            [provider.az]
            kind = "azure-openai"
            base_url = "http://127.0.0.1:9000"
            api_key = "az-key"
            api_version = "2024-10-21"

            [provider.ant]
            kind = "anthropic"
            base_url = "http://127.0.0.1:9001"
            api_key = "ant-key"

            [[model]]
            name = "gpt-4o-mini"
            targets = ["oai/gpt-4o-mini", "ant/claude-x"]
            price = { input = 0.15, cached_input = 0.075, output = 1 }

            [[model]]
            name = "claude-*"
            targets = ["ant/*"]
            """);

        var route = Assert.Single(model.Routes);
        Assert.True(route.Ai);
        Assert.Equal("", route.Cluster);
        Assert.Equal(TimeSpan.FromSeconds(30), route.Timeout);
        Assert.Equal("/tmp/usage.ledger", model.Ai.LedgerPath);
        Assert.Equal(TimeSpan.FromMilliseconds(50), model.Ai.LedgerFsyncInterval);
        Assert.Equal(1024 * 1024, model.Ai.MaxRequestBytes);
        Assert.Equal(TimeSpan.FromSeconds(30), model.Ai.RequestDeadline);
        Assert.Equal(TimeSpan.FromSeconds(10), model.Ai.DrainTimeout);
        Assert.Equal(8, model.Ai.MaxDrains);

        var oai = model.Providers["oai"];
        Assert.Equal(ProviderKind.OpenAi, oai.Kind);
        Assert.Equal(["sk-from-env", "sk-literal"], oai.ApiKeys);
        Assert.Equal("/prefix", oai.BaseUrl.AbsolutePath);
        Assert.Equal(TimeSpan.FromSeconds(20), oai.Timeout);
        Assert.Equal("2024-10-21", model.Providers["az"].ApiVersion);
        Assert.Equal("2023-06-01", model.Providers["ant"].ApiVersion);

        var cluster = model.Clusters[oai.Cluster];
        Assert.Equal("api.example.com:443", Assert.Single(cluster.Endpoints).Address);
        Assert.NotNull(cluster.Tls);
        Assert.Null(cluster.Tls.Sni);
        Assert.Null(cluster.Tls.Authorities);
        Assert.Equal(1, cluster.Retry.Attempts);
        Assert.Equal(TimeSpan.FromSeconds(20), cluster.Retry.PerTryTimeout);
        Assert.Null(model.Clusters[model.Providers["az"].Cluster].Tls);

        Assert.Equal(["gpt-4o-mini", "claude-*"], model.Models.Select(m => m.Name));
        Assert.Equal([new ModelTargetModel("oai", "gpt-4o-mini"), new ModelTargetModel("ant", "claude-x")], model.Models[0].Targets);
        Assert.Equal(0.15m, model.Models[0].Price.Input);
        Assert.Equal(0.075m, model.Models[0].Price.CachedInput);
        Assert.Equal(1m, model.Models[0].Price.Output);
        Assert.Equal(0m, model.Models[1].Price.Input);

        Assert.DoesNotContain("sk-literal", model.RedactedText);
        Assert.DoesNotContain("az-key", model.RedactedText);
    }

    [Fact]
    public void ProviderCluster_CannotClashWithAUserCluster()
    {
        var model = Load(Head + OneProvider + """
            [[route]]
            name = "plain"
            path_prefix = "/"
            cluster = "oai"

            [cluster.oai]
            endpoints = ["127.0.0.1:7000"]
            """);

        Assert.Equal("127.0.0.1:7000", Assert.Single(model.Clusters["oai"].Endpoints).Address);
        Assert.NotEqual("oai", model.Providers["oai"].Cluster);
        Assert.Equal("127.0.0.1:9000", Assert.Single(model.Clusters[model.Providers["oai"].Cluster].Endpoints).Address);
    }

    [Fact]
    public void UnknownKind_IsReportedAtItsValue()
    {
        var errors = Errors(Head + OneProvider.Replace("kind = \"openai\"", "kind = \"openia\""));
        Assert.Equal(["test.toml:10:8: invalid value 'openia' for 'kind'; did you mean 'openai'? expected one of: openai, azure-openai, anthropic, gemini, ollama, openai-compatible"], errors);
    }

    [Theory]
    [InlineData("ftp://127.0.0.1:9000")]
    [InlineData("127.0.0.1:9000")]
    [InlineData("http://127.0.0.1:9000/v1")]
    [InlineData("http://127.0.0.1:9000?x=1")]
    public void BadBaseUrl_IsReportedAtItsValue(string url)
    {
        var error = Assert.Single(Errors(Head + OneProvider.Replace("http://127.0.0.1:9000", url)));
        Assert.StartsWith("test.toml:11:12: 'base_url' ", error);
    }

    [Fact]
    public void AzureWithoutApiVersion_IsAnError()
    {
        var error = Assert.Single(Errors(Head + OneProvider.Replace("\"openai\"", "\"azure-openai\"")));
        Assert.Contains("provider 'oai' is azure-openai: set 'api_version'", error);
    }

    [Fact]
    public void TargetNamingAnUnknownProvider_IsReportedAtTheTarget()
    {
        var error = Assert.Single(Errors(Head + OneProvider.Replace("targets = [\"oai/m\"]", "targets = [\"oai/m\", \"nope/m\"]")));
        Assert.Equal("test.toml:16:21: target 'nope/m' names provider 'nope' which is not defined ([provider.nope])", error);
    }

    [Theory]
    [InlineData("targets = []", "has no targets")]
    [InlineData("targets = [\"oai\"]", "a target is \"provider/model\"")]
    public void ModelWithoutUsableTargets_IsAnError(string targets, string expected)
    {
        var error = Assert.Single(Errors(Head + OneProvider.Replace("targets = [\"oai/m\"]", targets)));
        Assert.Contains(expected, error);
    }

    [Fact]
    public void AiRouteWithoutModels_IsReportedAtItsAiKey()
    {
        var error = Assert.Single(Errors(Head));
        Assert.Equal("test.toml:8:6: route 'llm' is an ai route but no [[model]] is defined: add [[model]] entries naming provider/model targets", error);
    }

    [Fact]
    public void AiRouteWithACluster_IsAnError()
    {
        var error = Assert.Single(Errors(Head.Replace("ai = true", "ai = true\ncluster = \"x\"") + OneProvider));
        Assert.Contains("is an ai route: it takes no 'cluster'", error);
    }

    [Fact]
    public void UnknownKeys_InTheAiTables_AreErrors()
    {
        var errors = Errors(Head + OneProvider.Replace("api_key = \"sk-one\"", "api_keys = \"sk-one\"") + "[ai]\nmax_drain = 3\n");
        Assert.Contains(errors, e => e.Contains("unknown key 'api_keys' in [provider.oai]", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("unknown key 'max_drain' in [ai]", StringComparison.Ordinal));
    }

    [Fact]
    public void MissingEnvKey_FailsTheLoad()
    {
        var error = Assert.Single(Errors(Head + OneProvider.Replace("\"sk-one\"", "\"env:FASTGATE_TEST_AI_KEY_NOT_SET\"")));
        Assert.Contains("'api_key'", error);
    }

    [Fact]
    public void NegativePrice_IsAnError()
    {
        var error = Assert.Single(Errors(Head + OneProvider.Replace("targets = [\"oai/m\"]", "targets = [\"oai/m\"]\nprice = { input = -1 }")));
        Assert.Contains("'input' must be a price", error);
    }
}
