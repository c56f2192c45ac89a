using FastGate.Proxy.Config;

namespace FastGate.Proxy.Tests.Config;

public class Http2ConfigTests
{
    private static ConfigLoadResult Load(string top, string listener = "") => ConfigLoader.LoadFromText($"""
        {top}
        [[listener]]
        name = "web"
        listen = "127.0.0.1:8080"
        {listener}

        [cluster.app]
        endpoints = ["127.0.0.1:9001"]
        """, "test.toml");

    private static string Errors(ConfigLoadResult result) => string.Join("\n", result.Errors);

    [Fact]
    public void Load_NoHttp2Table_HasTheDocumentedDefaults()
    {
        var result = Load("[defaults]\nmax_header_bytes = \"48KiB\"");

        Assert.True(result.IsValid, Errors(result));
        var http2 = result.Model!.Http2;
        Assert.Equal(128, http2.MaxConcurrentStreams);
        Assert.Equal(1024 * 1024, http2.InitialStreamWindow);
        Assert.Equal(16 * 1024 * 1024, http2.ConnectionWindow);
        Assert.Equal(16 * 1024, http2.MaxFrameSize);
        Assert.Equal(48 * 1024, http2.MaxHeaderListSize);
        Assert.Equal(4096, http2.HeaderTableSize);
        Assert.Null(http2.IdleTimeout);
        Assert.Equal(TimeSpan.FromSeconds(30), http2.StallTimeout);
        Assert.Equal(1000, http2.MaxControlFramesPerSecond);
        Assert.Equal(100, http2.MaxPrematureResets);
        Assert.True(http2.EnableConnectProtocol);
        Assert.False(result.Model.Listeners[0].H2c);
    }

    [Fact]
    public void Load_EveryHttp2Key_IsRead()
    {
        var result = Load("""
            [http2]
            max_concurrent_streams = 64
            initial_stream_window = "256KiB"
            connection_window = "4MiB"
            max_frame_size = "32KiB"
            max_header_list_size = "16KiB"
            header_table_size = 8192
            idle_timeout = "2m"
            stall_timeout = "5s"
            max_control_frames_per_second = 50
            max_premature_resets = 10
            enable_connect_protocol = false
            """, "h2c = true");

        Assert.True(result.IsValid, Errors(result));
        Assert.Equal(new Http2Model
        {
            MaxConcurrentStreams = 64,
            InitialStreamWindow = 256 * 1024,
            ConnectionWindow = 4 * 1024 * 1024,
            MaxFrameSize = 32 * 1024,
            MaxHeaderListSize = 16 * 1024,
            HeaderTableSize = 8192,
            IdleTimeout = TimeSpan.FromMinutes(2),
            StallTimeout = TimeSpan.FromSeconds(5),
            MaxControlFramesPerSecond = 50,
            MaxPrematureResets = 10,
            EnableConnectProtocol = false,
        }, result.Model!.Http2);
        Assert.True(result.Model.Listeners[0].H2c);
    }

    [Theory]
    [InlineData("max_frame_size = 1000", "2:18: 'max_frame_size' must be between 16384 and 16777215 bytes, got 1000")]
    [InlineData("max_frame_size = \"16MiB\"", "2:18: 'max_frame_size' must be between 16384 and 16777215 bytes, got 16777216")]
    [InlineData("connection_window = 1000", "2:21: 'connection_window' must be between 65535 and 2147483647 bytes, got 1000")]
    [InlineData("max_concurrent_streams = 0", "2:26: 'max_concurrent_streams' must be between 1 and 2147483647, got 0")]
    [InlineData("stall_timeout = \"0s\"", "2:17: 'stall_timeout' must be greater than zero")]
    [InlineData("max_control_frames_per_second = 0", "2:33: 'max_control_frames_per_second' must be between 1 and 1000000, got 0")]
    [InlineData("enable_connect_protocol = \"yes\"", "2:27: expected a boolean for 'enable_connect_protocol', got string")]
    [InlineData("enable_connect_protocol = 1", "2:27: expected a boolean for 'enable_connect_protocol', got integer")]
    [InlineData("max_streams = 5", "2:1: unknown key 'max_streams'")]
    public void Load_BadHttp2Value_IsAnErrorAtIt(string line, string expected)
    {
        var result = Load("[http2]\n" + line);

        Assert.False(result.IsValid);
        Assert.StartsWith($"test.toml:{expected}", Errors(result));
    }

    [Fact]
    public void Load_H2cOnAnL4Listener_IsAnError()
    {
        var result = Load("", "protocol = \"tcp\"\ncluster = \"app\"\nh2c = true");

        Assert.False(result.IsValid);
        Assert.Contains("'h2c' is only for http listeners", Errors(result));
    }
}
