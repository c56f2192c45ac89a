using FastGate.Core.Http;
using FastGate.Proxy.Config;

namespace FastGate.Proxy.Tests.Config;

public class PathNormalizationConfigTests
{
    [Fact]
    public void Load_NoPathKeys_KeepsEscapedSlashesAndDoesNotMerge()
    {
        var result = ConfigLoader.LoadFromText("""
            [[listener]]
            name = "web"
            listen = "127.0.0.1:8080"
            """, "test.toml");

        Assert.True(result.IsValid, string.Join("\n", result.Errors));
        var limits = result.Model!.Listeners[0].Limits;
        Assert.False(limits.MergeSlashes);
        Assert.Equal(EscapedSlashAction.Keep, limits.EscapedSlashes);
    }

    [Fact]
    public void Load_PathKeysInDefaults_ListenerOverridesOne()
    {
        var result = ConfigLoader.LoadFromText("""
            [defaults]
            merge_slashes = true
            escaped_slashes = "reject"
            [[listener]]
            name = "web"
            listen = "127.0.0.1:8080"
            [[listener]]
            name = "legacy"
            listen = "127.0.0.1:8081"
            escaped_slashes = "keep"
            """, "test.toml");

        Assert.True(result.IsValid, string.Join("\n", result.Errors));
        var web = result.Model!.Listeners[0].Limits;
        var legacy = result.Model.Listeners[1].Limits;
        Assert.True(web.MergeSlashes);
        Assert.Equal(EscapedSlashAction.Reject, web.EscapedSlashes);
        Assert.True(legacy.MergeSlashes);
        Assert.Equal(EscapedSlashAction.Keep, legacy.EscapedSlashes);
    }

    [Fact]
    public void Load_BadPathKeys_ReportValuePositions()
    {
        var result = ConfigLoader.LoadFromText("""
            [defaults]
            merge_slashes = "yes"
            escaped_slashes = "decode"
            [[listener]]
            name = "web"
            listen = "127.0.0.1:8080"
            """, "test.toml");

        Assert.Equal(
            [
                "test.toml:2:17: expected a boolean for 'merge_slashes', got string",
                "test.toml:3:19: invalid value 'decode' for 'escaped_slashes'; expected one of: keep, reject",
            ],
            result.Errors.Select(e => e.ToString()));
    }
}
