using FastGate.Core.Http2;

namespace FastGate.Core.Tests.Http2;

/// <summary>SETTINGS values (RFC 9113 §6.5.2, RFC 8441 §3) at the edges of their ranges.</summary>
public class Http2PeerSettingsTests
{
    [Fact]
    public void New_RfcDefaults()
    {
        var settings = new Http2PeerSettings();

        Assert.Equal(4096, settings.HeaderTableSize);
        Assert.True(settings.EnablePush);
        Assert.Equal(int.MaxValue, settings.MaxConcurrentStreams);
        Assert.Equal(65_535, settings.InitialWindowSize);
        Assert.Equal(16_384, settings.MaxFrameSize);
        Assert.Equal(int.MaxValue, settings.MaxHeaderListSize);
        Assert.False(settings.EnableConnectProtocol);
    }

    [Theory]
    [InlineData(0u, false)]
    [InlineData(1u, true)]
    public void Apply_EnablePushZeroOrOne_Taken(uint value, bool expected)
    {
        var settings = new Http2PeerSettings();

        Assert.Equal(Http2ErrorCode.NoError, settings.Apply(new(Http2SettingId.EnablePush, value)));
        Assert.Equal(expected, settings.EnablePush);
    }

    [Theory]
    [InlineData(2u)]
    [InlineData(uint.MaxValue)]
    public void Apply_EnablePushOverOne_ProtocolErrorUnchanged(uint value)
    {
        var settings = new Http2PeerSettings();
        settings.Apply(new(Http2SettingId.EnablePush, 0));

        Assert.Equal(Http2ErrorCode.ProtocolError, settings.Apply(new(Http2SettingId.EnablePush, value)));
        Assert.False(settings.EnablePush);
    }

    [Theory]
    [InlineData(0u)]
    [InlineData(65_535u)]
    [InlineData(2_147_483_647u)]
    public void Apply_InitialWindowSizeUpTo2Pow31Minus1_Taken(uint value)
    {
        var settings = new Http2PeerSettings();

        Assert.Equal(Http2ErrorCode.NoError, settings.Apply(new(Http2SettingId.InitialWindowSize, value)));
        Assert.Equal((int)value, settings.InitialWindowSize);
    }

    [Theory]
    [InlineData(2_147_483_648u)]
    [InlineData(uint.MaxValue)]
    public void Apply_InitialWindowSizeFrom2Pow31_FlowControlErrorUnchanged(uint value)
    {
        var settings = new Http2PeerSettings();

        Assert.Equal(Http2ErrorCode.FlowControlError, settings.Apply(new(Http2SettingId.InitialWindowSize, value)));
        Assert.Equal(65_535, settings.InitialWindowSize);
    }

    [Theory]
    [InlineData(16_384u)]
    [InlineData(65_536u)]
    [InlineData(16_777_215u)]
    public void Apply_MaxFrameSizeInRange_Taken(uint value)
    {
        var settings = new Http2PeerSettings();

        Assert.Equal(Http2ErrorCode.NoError, settings.Apply(new(Http2SettingId.MaxFrameSize, value)));
        Assert.Equal((int)value, settings.MaxFrameSize);
    }

    [Theory]
    [InlineData(0u)]
    [InlineData(16_383u)]
    [InlineData(16_777_216u)]
    [InlineData(uint.MaxValue)]
    public void Apply_MaxFrameSizeOutOfRange_ProtocolErrorUnchanged(uint value)
    {
        var settings = new Http2PeerSettings();
        settings.Apply(new(Http2SettingId.MaxFrameSize, 32_768));

        Assert.Equal(Http2ErrorCode.ProtocolError, settings.Apply(new(Http2SettingId.MaxFrameSize, value)));
        Assert.Equal(32_768, settings.MaxFrameSize);
    }

    [Theory]
    [InlineData(0u, 0)]
    [InlineData(100u, 100)]
    [InlineData(2_147_483_647u, int.MaxValue)]
    [InlineData(uint.MaxValue, int.MaxValue)]
    public void Apply_UnboundedParameters_TakenAndKeptAsInt(uint value, int expected)
    {
        var settings = new Http2PeerSettings();

        Assert.Equal(Http2ErrorCode.NoError, settings.Apply(new(Http2SettingId.HeaderTableSize, value)));
        Assert.Equal(Http2ErrorCode.NoError, settings.Apply(new(Http2SettingId.MaxConcurrentStreams, value)));
        Assert.Equal(Http2ErrorCode.NoError, settings.Apply(new(Http2SettingId.MaxHeaderListSize, value)));
        Assert.Equal(expected, settings.HeaderTableSize);
        Assert.Equal(expected, settings.MaxConcurrentStreams);
        Assert.Equal(expected, settings.MaxHeaderListSize);
    }

    [Theory]
    [InlineData((ushort)0x0)]
    [InlineData((ushort)0x7)]
    [InlineData((ushort)0x9)]
    [InlineData((ushort)0xFFFF)]
    public void Apply_UnknownId_IgnoredNothingChanges(ushort id)
    {
        var settings = new Http2PeerSettings();

        Assert.Equal(Http2ErrorCode.NoError, settings.Apply(new((Http2SettingId)id, uint.MaxValue)));
        Assert.Equal(4096, settings.HeaderTableSize);
        Assert.True(settings.EnablePush);
        Assert.Equal(int.MaxValue, settings.MaxConcurrentStreams);
        Assert.Equal(65_535, settings.InitialWindowSize);
        Assert.Equal(16_384, settings.MaxFrameSize);
        Assert.Equal(int.MaxValue, settings.MaxHeaderListSize);
        Assert.False(settings.EnableConnectProtocol);
    }

    [Fact]
    public void Apply_EnableConnectProtocolOne_Taken()
    {
        var settings = new Http2PeerSettings();

        Assert.Equal(Http2ErrorCode.NoError, settings.Apply(new(Http2SettingId.EnableConnectProtocol, 0)));
        Assert.False(settings.EnableConnectProtocol);
        Assert.Equal(Http2ErrorCode.NoError, settings.Apply(new(Http2SettingId.EnableConnectProtocol, 1)));
        Assert.True(settings.EnableConnectProtocol);
        Assert.Equal(Http2ErrorCode.NoError, settings.Apply(new(Http2SettingId.EnableConnectProtocol, 1)));
        Assert.True(settings.EnableConnectProtocol);
    }

    [Fact]
    public void Apply_EnableConnectProtocolOverOne_ProtocolError()
    {
        var settings = new Http2PeerSettings();

        Assert.Equal(Http2ErrorCode.ProtocolError, settings.Apply(new(Http2SettingId.EnableConnectProtocol, 2)));
        Assert.False(settings.EnableConnectProtocol);
    }

    [Fact]
    public void Apply_EnableConnectProtocolBackToZero_ProtocolErrorStaysOn()
    {
        var settings = new Http2PeerSettings();
        settings.Apply(new(Http2SettingId.EnableConnectProtocol, 1));

        Assert.Equal(Http2ErrorCode.ProtocolError, settings.Apply(new(Http2SettingId.EnableConnectProtocol, 0)));
        Assert.True(settings.EnableConnectProtocol);
    }

    [Fact]
    public void Apply_SameParameterTwice_LastWins()
    {
        var settings = new Http2PeerSettings();

        settings.Apply(new(Http2SettingId.MaxConcurrentStreams, 10));
        settings.Apply(new(Http2SettingId.MaxConcurrentStreams, 20));

        Assert.Equal(20, settings.MaxConcurrentStreams);
    }
}
