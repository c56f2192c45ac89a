using System.Text;
using FastGate.Ai.Models;
using FastGate.Ai.Providers;
using FastGate.Ai.Tests.Stages;
using FastGate.Proxy.Config;

namespace FastGate.Ai.Tests.Models;

/// <summary>How a client's model name finds its [[model]]: exact names first, then patterns, each in file order.</summary>
public class ModelTableTests
{
    private static ModelTable Table(params (string Name, string Target)[] models)
    {
        var text = new StringBuilder("""
            [[listener]]
            name = "web"
            listen = "127.0.0.1:8080"
            [provider.p]
            kind = "anthropic"
            base_url = "http://127.0.0.1:9000"

            """);
        foreach (var (name, target) in models)
        {
            text.Append($"[[model]]\nname = \"{name}\"\ntargets = [\"p/{target}\"]\n");
        }
        var load = ConfigLoader.LoadFromText(text.ToString(), "test.toml");
        Assert.True(load.IsValid, string.Join("\n", load.Errors));
        return new ModelTable(load.Model!, new AiCodecs([new FakeAdapter(ProviderKind.Anthropic)], []));
    }

    private static string? Target(ModelTable table, string name) => table.Find(Encoding.UTF8.GetBytes(name))?.Targets[0].Model;

    [Fact]
    public void Exact_WinsOverAnEarlierPattern()
    {
        var table = Table(("claude-*", "any-claude"), ("claude-3", "exact"));

        Assert.Equal("exact", Target(table, "claude-3"));
        Assert.Equal("any-claude", Target(table, "claude-4"));
    }

    [Fact]
    public void Patterns_FirstInFileOrderWins()
    {
        var table = Table(("gpt-4*", "first"), ("gpt-*", "second"), ("*", "last"));

        Assert.Equal("first", Target(table, "gpt-4o"));
        Assert.Equal("second", Target(table, "gpt-3.5"));
        Assert.Equal("last", Target(table, "llama"));
    }

    [Fact]
    public void NoMatch_IsNull_AndNamesAreCaseSensitive()
    {
        var table = Table(("gpt-4o", "x"));

        Assert.Null(Target(table, "GPT-4O"));
        Assert.Null(Target(table, "gpt-4o-mini"));
    }

    [Fact]
    public void StarTarget_MeansTheNameAsked()
    {
        var entry = Table(("ollama-*", "*")).Find("ollama-llama3"u8)!;

        Assert.Null(entry.Targets[0].ModelUtf8);
    }

    [Theory]
    [InlineData("*", "", true)]
    [InlineData("a*", "a", true)]
    [InlineData("a*c", "abbbc", true)]
    [InlineData("a*c", "abbbd", false)]
    [InlineData("*-mini", "gpt-4o-mini", true)]
    [InlineData("a*b*c", "axxbyyc", true)]
    [InlineData("a*b*c", "axxcyyb", false)]
    [InlineData("abc", "ab", false)]
    public void Glob_MatchesStarsAsAnyRun(string pattern, string text, bool matches) =>
        Assert.Equal(matches, Glob.Matches(Encoding.UTF8.GetBytes(pattern), Encoding.UTF8.GetBytes(text)));

    [Fact]
    public void Cost_ChargesCachedInputAtItsPrice_AndFallsBackToTheInputPrice()
    {
        var usage = new TokenUsage { Input = 1_000_000, CachedInput = 400_000, Output = 2_000_000 };

        Assert.Equal(0.6m * 0.15m + 0.4m * 0.075m + 2m * 0.6m,
            FastGate.Ai.Metering.UsageCost.Of(new ModelPriceModel { Input = 0.15m, CachedInput = 0.075m, Output = 0.6m }, usage));
        Assert.Equal(0.15m + 2m * 0.6m, FastGate.Ai.Metering.UsageCost.Of(new ModelPriceModel { Input = 0.15m, Output = 0.6m }, usage));
    }
}
