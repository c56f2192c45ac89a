using System.Net.Security;
using System.Security.Authentication;
using FastGate.Core.Tls.OpenSsl;

namespace FastGate.Core.Tests.Tls;

public sealed class OpenSslServerSessionTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("fastgate-openssl-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private OpenSslServerContext Context(string name, params string[] alpn) => OpenSslTestContexts.SelfSigned(_directory, name, alpn);

    private static OpenSslServerSession Session(OpenSslServerContext context, IOpenSslContextSelector? selector = null) =>
        new(context, selector, new TlsTicketKeyRing(TimeSpan.FromHours(1)), null);

    [Fact]
    public void Handshake_Tls13_AlpnInServerOrder()
    {
        using var context = Context("a.test");
        using var server = Session(context);
        using var client = new OpenSslTestClient("a.test", ["http/1.1", "h2"]);

        Assert.True(client.Handshake(server));

        Assert.Equal(SslProtocols.Tls13, server.Protocol);
        Assert.Equal(SslApplicationProtocol.Http2, server.ApplicationProtocol);
        Assert.Equal("h2", client.NegotiatedProtocol);
        Assert.False(server.IsResumed);
    }

    [Fact]
    public void Handshake_Tls12_NoAlpnOffered_NoneAgreed()
    {
        using var context = Context("a.test");
        using var server = Session(context);
        using var client = new OpenSslTestClient("a.test", tls12: true);

        Assert.True(client.Handshake(server));

        Assert.Equal(SslProtocols.Tls12, server.Protocol);
        Assert.Equal(default, server.ApplicationProtocol);
        Assert.NotEqual(0, (int)server.CipherSuite);
    }

    [Fact]
    public void Handshake_AlpnOfferedButNoneOfOurs_Refused()
    {
        using var context = Context("a.test", "http/1.1");
        using var server = Session(context);
        using var client = new OpenSslTestClient("a.test", ["h2"]);

        Assert.False(client.Handshake(server));
    }

    private sealed class ByName(Dictionary<string, OpenSslServerContext> contexts, OpenSslServerContext fallback) : IOpenSslContextSelector
    {
        public string? Asked { get; private set; }

        public OpenSslServerContext Select(string? serverName)
        {
            Asked = serverName;
            return serverName is not null && contexts.TryGetValue(serverName, out var context) ? context : fallback;
        }
    }

    [Fact]
    public void Handshake_Sni_SelectorAskedWithTheName()
    {
        using var a = Context("a.test");
        using var b = Context("b.test");
        var selector = new ByName(new() { ["b.test"] = b }, a);
        using var server = Session(a, selector);
        using var client = new OpenSslTestClient("b.test");

        Assert.True(client.Handshake(server));
        Assert.Equal("b.test", selector.Asked);
    }

    [Fact]
    public void Records_BothWays_RoundTripAndAllocateNothing()
    {
        using var context = Context("a.test");
        using var server = Session(context);
        using var client = new OpenSslTestClient("a.test", ["http/1.1"]);
        Assert.True(client.Handshake(server));
        var request = "GET / HTTP/1.1\r\nHost: a.test\r\n\r\n"u8.ToArray();
        var response = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"u8.ToArray();
        var wire = new byte[64 * 1024];
        var plain = new byte[16 * 1024];

        // Checked without asserts inside the measured loop, so only the session's work is counted.
        bool RoundTrip()
        {
            client.Write(request);
            client.Move(wire, server);
            var ok = server.Read(plain, out var read) == OpenSslIoStatus.Data
                && plain.AsSpan(0, read).SequenceEqual(request)
                && server.Read(plain, out _) == OpenSslIoStatus.WantRead;
            server.Write(response);
            var records = server.TakeOutput(wire);
            return ok && client.Read(wire.AsSpan(0, records), plain) == response.Length;
        }

        // The first rounds read the session tickets and warm everything up.
        for (var i = 0; i < 10; i++)
        {
            Assert.True(RoundTrip());
        }
        var failed = 0;
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 1000; i++)
        {
            failed += RoundTrip() ? 0 : 1;
        }
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(0, failed);
        Assert.Equal(0, allocated);
    }

    [Fact]
    public void Read_BeforeAnyRecord_WantsRead_GarbageThrows()
    {
        using var context = Context("a.test");
        using var server = Session(context);
        using var client = new OpenSslTestClient("a.test");
        Assert.True(client.Handshake(server));

        Assert.Equal(OpenSslIoStatus.WantRead, server.Read(new byte[100], out _));
        server.Feed([0x17, 0x03, 0x03, 0x00, 0x20, .. new byte[0x20]]);
        Assert.Throws<OpenSslException>(() => server.Read(new byte[100], out _));
    }
}
