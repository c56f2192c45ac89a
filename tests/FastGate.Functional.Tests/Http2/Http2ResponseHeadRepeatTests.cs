using System.Net;

namespace FastGate.Functional.Tests.Http2;

/// <summary>
/// A connection sends a response head that repeats its last one as that head's encoded block
/// (Http2RepeatedHead): heads that repeat, then differ in their length or status, then repeat
/// again, on one connection and in any order, must each arrive as their own.
/// </summary>
[Collection(Http2GatewayCollection.Name)]
public sealed class Http2ResponseHeadRepeatTests(Http2GatewayFixture fixture)
{
    [Fact]
    public async Task H2c_HeadsRepeatedAndChangedOnOneConnection_EachArrivesAsItsOwn()
    {
        using var client = fixture.H2cClient();
        string[] paths = ["/mock/bytes/10", "/mock/bytes/10", "/mock/bytes/10", "/mock/bytes/20", "/mock/bytes/10", "/mock/status/404", "/mock/status/404", "/mock/bytes/10", "/mock/bytes/0", "/mock/bytes/10"];

        for (var round = 0; round < 3; round++)
        {
            foreach (var path in paths)
            {
                using var response = await client.GetAsync(path);
                var body = await response.Content.ReadAsByteArrayAsync();

                Assert.Equal(HttpVersion.Version20, response.Version);
                if (path.StartsWith("/mock/status/", StringComparison.Ordinal))
                {
                    Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
                    continue;
                }
                var length = int.Parse(path["/mock/bytes/".Length..]);
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                Assert.Equal(length, response.Content.Headers.ContentLength);
                Assert.Equal(length, body.Length);
            }
        }
    }
}
