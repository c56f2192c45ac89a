using FastGate.Proxy.Config;

namespace FastGate.Proxy.Tests.Config;

public class SecretResolverTests
{
    [Fact]
    public void TryResolve_Literal_ReturnsItself()
    {
        Assert.True(SecretResolver.TryResolve("s3cret", Path.GetTempPath(), out var value, out _));
        Assert.Equal("s3cret", value);
    }

    [Fact]
    public void TryResolve_SetEnvironmentVariable_ReturnsItsValue()
    {
        var name = "FASTGATE_TEST_SECRET_" + Guid.NewGuid().ToString("N");
        Environment.SetEnvironmentVariable(name, "from-env");
        try
        {
            Assert.True(SecretResolver.TryResolve("env:" + name, Path.GetTempPath(), out var value, out _));
            Assert.Equal("from-env", value);
        }
        finally
        {
            Environment.SetEnvironmentVariable(name, null);
        }
    }

    [Fact]
    public void TryResolve_MissingEnvironmentVariable_ReturnsError()
    {
        Assert.False(SecretResolver.TryResolve("env:FASTGATE_TEST_NOT_SET_9C1E", Path.GetTempPath(), out _, out var error));
        Assert.Equal("environment variable 'FASTGATE_TEST_NOT_SET_9C1E' is not set", error);
    }

    [Fact]
    public void TryResolve_RelativeFile_ReadsFromBaseDirectoryWithoutTrailingNewline()
    {
        var directory = Directory.CreateTempSubdirectory("fastgate-secret-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(directory, "token"), "from-file\n");
            Assert.True(SecretResolver.TryResolve("file:token", directory, out var value, out _));
            Assert.Equal("from-file", value);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Theory]
    [InlineData("file:does-not-exist-7f3a", "cannot read secret file")]
    [InlineData("file:", "missing path")]
    [InlineData("env:", "missing environment variable name")]
    [InlineData("", "secret is empty")]
    public void TryResolve_Invalid_ReturnsError(string text, string expected)
    {
        Assert.False(SecretResolver.TryResolve(text, Path.GetTempPath(), out _, out var error));
        Assert.Contains(expected, error);
    }
}
