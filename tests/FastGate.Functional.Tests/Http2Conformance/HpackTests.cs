using static FastGate.Functional.Tests.Http2Conformance.H2FrameBuilder;

namespace FastGate.Functional.Tests.Http2Conformance;

/// <summary>
/// RFC 7541 decoding errors, each a connection error COMPRESSION_ERROR (RFC 9113 §4.3): h2spec's
/// hpack/2.3.3, 4.2, 5.2, 6.1 and 6.3, plus the cases next to them (integer overflow, a name
/// index past the tables, a block cut inside a string).
/// </summary>
[Collection(Http2ConformanceCollection.Name)]
public sealed class HpackTests(Http2GatewayFixture fixture) : H2TestBase(fixture)
{
    private async Task SendBlockAsync(H2Client client, H2RequestBlock block) =>
        await client.SendAsync(Headers(1, block.ToArray(), endStream: true));

    [Fact]
    public async Task Hpack_2_3_3_1_IndexPastBothTables_IsCompressionError()
    {
        var client = await OpenAsync();
        await SendBlockAsync(client, client.Request().Indexed(126));
        await client.ConnectionErrorAsync(H2Error.COMPRESSION_ERROR);
    }

    [Fact]
    public async Task Hpack_2_3_3_2_NameIndexPastBothTables_IsCompressionError()
    {
        var client = await OpenAsync();
        // Literal without indexing, name index 126 (0x0f then 111), value "x".
        await SendBlockAsync(client, client.Request().RawHex("0f6f0178"));
        await client.ConnectionErrorAsync(H2Error.COMPRESSION_ERROR);
    }

    [Fact]
    public async Task Hpack_4_2_1_TableSizeUpdateAtEndOfBlock_IsCompressionError()
    {
        var client = await OpenAsync();
        await SendBlockAsync(client, client.Request().TableSizeUpdate(1));
        await client.ConnectionErrorAsync(H2Error.COMPRESSION_ERROR);
    }

    [Fact]
    public async Task Hpack_5_1_1_IntegerOverflow_IsCompressionError()
    {
        var client = await OpenAsync();
        // An index whose continuation bytes never end within 2^31.
        await SendBlockAsync(client, client.Request().RawHex("ffffffffffff7f"));
        await client.ConnectionErrorAsync(H2Error.COMPRESSION_ERROR);
    }

    [Fact]
    public async Task Hpack_5_2_1_HuffmanPaddingLongerThan7Bits_IsCompressionError()
    {
        var client = await OpenAsync();
        // x-test: "test" Huffman-coded (49509f) plus a whole extra octet of padding.
        await SendBlockAsync(client, client.Request().RawHex("0085f2b24a84ff8449509fff"));
        await client.ConnectionErrorAsync(H2Error.COMPRESSION_ERROR);
    }

    [Fact]
    public async Task Hpack_5_2_2_HuffmanPaddedWithZeros_IsCompressionError()
    {
        var client = await OpenAsync();
        // x-test: "test" whose last octet is padded with 0 bits instead of the EOS prefix.
        await SendBlockAsync(client, client.Request().RawHex("0085f2b24a84ff83495090"));
        await client.ConnectionErrorAsync(H2Error.COMPRESSION_ERROR);
    }

    [Fact]
    public async Task Hpack_5_2_3_HuffmanContainingEos_IsCompressionError()
    {
        var client = await OpenAsync();
        // x-test: a value whose first 30 bits are the EOS code.
        await SendBlockAsync(client, client.Request().RawHex("0085f2b24a87fffffffd25427f"));
        await client.ConnectionErrorAsync(H2Error.COMPRESSION_ERROR);
    }

    [Fact]
    public async Task Hpack_5_2_4_StringCutAtEndOfBlock_IsCompressionError()
    {
        var client = await OpenAsync();
        // x-test with a value that says 10 octets and has 2.
        await SendBlockAsync(client, client.Request().RawHex("0006782d74657374 0a6162".Replace(" ", "", StringComparison.Ordinal)));
        await client.ConnectionErrorAsync(H2Error.COMPRESSION_ERROR);
    }

    [Fact]
    public async Task Hpack_6_1_1_IndexZero_IsCompressionError()
    {
        var client = await OpenAsync();
        await SendBlockAsync(client, client.Request().RawHex("80"));
        await client.ConnectionErrorAsync(H2Error.COMPRESSION_ERROR);
    }

    [Fact]
    public async Task Hpack_6_3_1_TableSizeUpdateAboveSettingsHeaderTableSize_IsCompressionError()
    {
        var client = await OpenAsync();
        var limit = client.ServerSettings.TryGetValue(H2Setting.HEADER_TABLE_SIZE, out var announced) ? announced : 4096;
        await SendBlockAsync(client, new H2RequestBlock().TableSizeUpdate((int)limit + 1).RawBytes(client.Request().ToArray()));
        await client.ConnectionErrorAsync(H2Error.COMPRESSION_ERROR);
    }

    [Fact]
    public async Task Hpack_6_3_2_TableSizeUpdateAfterFirstField_IsCompressionError()
    {
        var client = await OpenAsync();
        // The update placed between two fields of the block.
        await SendBlockAsync(client, new H2RequestBlock()
            .Field(":method", "GET")
            .TableSizeUpdate(0)
            .Field(":scheme", "http")
            .Field(":path", "/")
            .Field(":authority", $"127.0.0.1:{client.Port}"));
        await client.ConnectionErrorAsync(H2Error.COMPRESSION_ERROR);
    }

    [Fact]
    public async Task Hpack_DynamicTable_IsKeptAcrossStreams()
    {
        var client = await OpenAsync();
        // Stream 1 adds x-test: h2spec to the server's table (index 62); stream 3 uses it by index.
        await SendBlockAsync(client, client.Request().IndexedLiteral("x-test", "h2spec"));
        Assert.Equal(200, (await client.ResponseAsync(1)).Status);
        await client.SendAsync(Headers(3, client.Request("GET", "/echo").Indexed(62).ToArray(), endStream: true));
        var echo = await client.ResponseAsync(3);
        Assert.Equal(200, echo.Status);
        using var json = System.Text.Json.JsonDocument.Parse(echo.Body);
        Assert.Equal("h2spec", json.RootElement.GetProperty("headers").GetProperty("x-test").GetString());
    }
}
