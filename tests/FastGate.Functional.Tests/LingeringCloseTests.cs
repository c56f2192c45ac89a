using System.Net.Sockets;
using System.Text;
using FastGate.Functional.Tests.Infrastructure;

namespace FastGate.Functional.Tests;

/// <summary>
/// A refused request whose client is still sending: the answer must reach the client, not be
/// destroyed by the reset a close with unread input sends (the reliability probe's 1 MiB heads).
/// </summary>
[Collection(SharedGatewayCollection.Name)]
public sealed class LingeringCloseTests(SharedGatewayFixture fixture)
{
    private static readonly byte[] HugeHead = Encoding.ASCII.GetBytes(
        "GET /echo HTTP/1.1\r\nHost: x\r\nX-Big: " + new string('b', 1024 * 1024) + "\r\n\r\n");

    /// <summary>Like most clients (curl among them): write the whole request, then read the answer.</summary>
    private async Task<int> SendHugeHeadAsync()
    {
        await using var connection = await RawHttpConnection.ConnectAsync(fixture.Gateway.Port);
        try
        {
            await connection.SendAsync(HugeHead);
            return (await connection.ReadResponseAsync()).Status;
        }
        catch (Exception ex) when (ex is EndOfStreamException or SocketException)
        {
            return 0;
        }
    }

    [Fact]
    public async Task Get_HugeHeadsFromConcurrentClients_EveryClientReads431()
    {
        for (var round = 0; round < 5; round++)
        {
            var clients = new Task<int>[20];
            for (var i = 0; i < clients.Length; i++)
            {
                clients[i] = Task.Run(SendHugeHeadAsync);
            }

            var statuses = await Task.WhenAll(clients);

            Assert.All(statuses, status => Assert.Equal(431, status));
        }
    }
}
