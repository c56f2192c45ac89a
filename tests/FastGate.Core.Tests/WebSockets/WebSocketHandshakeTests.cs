using System.Security.Cryptography;
using System.Text;
using FastGate.Core.WebSockets;

namespace FastGate.Core.Tests.WebSockets;

public class WebSocketHandshakeTests
{
    [Fact]
    public void ComputeAccept_RfcSampleKey_ReturnsRfcAccept()
    {
        // RFC 6455 §1.3.
        Span<byte> accept = stackalloc byte[WebSocketHandshake.AcceptLength];
        WebSocketHandshake.ComputeAccept("dGhlIHNhbXBsZSBub25jZQ=="u8, accept);

        Assert.Equal("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", Encoding.ASCII.GetString(accept));
    }

    [Fact]
    public void IsExpectedAccept_RfcSample_TrueOnlyForTheExactValue()
    {
        Assert.True(WebSocketHandshake.IsExpectedAccept("dGhlIHNhbXBsZSBub25jZQ=="u8, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="u8));
        Assert.False(WebSocketHandshake.IsExpectedAccept("dGhlIHNhbXBsZSBub25jZQ=="u8, "s3pPLMBiTxaQ9kYGzzhZRbK+xOp="u8));
        Assert.False(WebSocketHandshake.IsExpectedAccept("dGhlIHNhbXBsZSBub25jZQ=="u8, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo"u8));
        Assert.False(WebSocketHandshake.IsExpectedAccept("dGhlIHNhbXBsZSBub25jZQ=="u8, " s3pPLMBiTxaQ9kYGzzhZRbK+xOo="u8));
        Assert.False(WebSocketHandshake.IsExpectedAccept("dGhlIHNhbXBsZSBub25jZQ=="u8, "S3PPLMBITXAQ9KYGZZHZRBK+XOO="u8));
        Assert.False(WebSocketHandshake.IsExpectedAccept("AAAAAAAAAAAAAAAAAAAAAA=="u8, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="u8));
        Assert.False(WebSocketHandshake.IsExpectedAccept("dGhlIHNhbXBsZSBub25jZQ=="u8, ""u8));
    }

    [Fact]
    public void ComputeAccept_RandomKeys_MatchesSha1OfKeyAndGuid()
    {
        var random = new Random(11);
        Span<byte> accept = stackalloc byte[WebSocketHandshake.AcceptLength];
        for (int i = 0; i < 200; i++)
        {
            byte[] nonce = new byte[16];
            random.NextBytes(nonce);
            string key = Convert.ToBase64String(nonce);
            string expected = Convert.ToBase64String(SHA1.HashData(Encoding.ASCII.GetBytes(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11")));

            Assert.True(WebSocketHandshake.IsValidKey(Encoding.ASCII.GetBytes(key)), key);
            WebSocketHandshake.ComputeAccept(Encoding.ASCII.GetBytes(key), accept);
            Assert.Equal(expected, Encoding.ASCII.GetString(accept));
            Assert.True(WebSocketHandshake.IsExpectedAccept(Encoding.ASCII.GetBytes(key), Encoding.ASCII.GetBytes(expected)));
        }
    }

    [Theory]
    [InlineData("dGhlIHNhbXBsZSBub25jZQ==")]
    [InlineData("AAAAAAAAAAAAAAAAAAAAAA==")]
    [InlineData("/////////////////////w==")]
    [InlineData("+/+/+/+/+/+/+/+/+/+/+w==")]
    public void IsValidKey_Base64Of16Bytes_True(string key)
    {
        Assert.True(WebSocketHandshake.IsValidKey(Encoding.ASCII.GetBytes(key)));
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("dGhlIHNhbXBsZSBub25jZQ=", "23 chars")]
    [InlineData("dGhlIHNhbXBsZSBub25jZQ===", "25 chars")]
    [InlineData("dGhlIHNhbXBsZSBub25jZQ", "no padding")]
    [InlineData("AAAAAAAAAAAAAAAAAAAA", "15 bytes decoded")]
    [InlineData("AAAAAAAAAAAAAAAAAAAAAAA=", "17 bytes decoded")]
    [InlineData("AAAAAAAAAAAAAAAAAAAAAAAA", "18 bytes decoded")]
    [InlineData("AAAAAAAAAAAAAAAAAAAAAAAAAAAA", "21 bytes decoded")]
    [InlineData("dGhlIHNhbXBsZSBub25jZQ-=", "bad padding")]
    [InlineData("dGhlIHNhbXBsZSBub25jZ===", "three pad chars")]
    [InlineData("dGhlIHNhbXBsZSBub25j-Q==", "URL-safe alphabet")]
    [InlineData("dGhlIHNhbXBsZSBub25j_Q==", "URL-safe alphabet underscore")]
    [InlineData("dGhlIHNhbXBsZSBub25j Q==", "space inside")]
    [InlineData(" dGhlIHNhbXBsZSBub25jZQ==", "leading space")]
    [InlineData("dGhlIHNhbXBsZSBub25jZQ== ", "trailing space")]
    [InlineData("dGhlIHNhbXBs\tSBub25jZQ==", "tab inside")]
    [InlineData("dGhlIHNhbXBsZSBub25=ZQ==", "padding inside")]
    [InlineData("dGhlIHNhbXBsZSBub25jZQ\r\n", "CRLF instead of padding")]
    public void IsValidKey_NotBase64Of16Bytes_False(string key, string why)
    {
        Assert.False(WebSocketHandshake.IsValidKey(Encoding.ASCII.GetBytes(key)), why);
    }

    [Fact]
    public void IsValidKey_NonAsciiByte_False()
    {
        byte[] key = Encoding.ASCII.GetBytes("dGhlIHNhbXBsZSBub25jZQ==");
        key[5] = 0xC3;
        Assert.False(WebSocketHandshake.IsValidKey(key));
    }
}
