using FastGate.Functional.Tests.Infrastructure;

namespace FastGate.Functional.Tests;

/// <summary>
/// Session resumption on a TLS listener, seen from openssl s_client with -sess_out / -sess_in:
/// tickets outlive a reload, and the ticket keys turn every session_ticket_rotation (a ticket of
/// the previous key resumes, an older one makes a full handshake).
/// </summary>
[Collection(OwnGatewayCollection.Name)]
public sealed class TlsSessionResumptionTests(UpstreamsFixture upstreams) : IDisposable
{
    // The rotation of the rotation tests, and the waits around it: long enough that the key has
    // turned, and 5 s short of the point where the previous key stops opening tickets (two
    // rotations after it was made), so a slow s_client start on a loaded machine still resumes.
    private const string Rotation = "6s";
    private static readonly TimeSpan PastOneRotation = TimeSpan.FromSeconds(7);

    private readonly TempPki _files = new("fastgate-tls-resume-");

    private TestPki Pki => _files.Pki;

    public void Dispose() => _files.Dispose();

    private string Config(string tls = "")
    {
        Pki.Server("a", "a.test", ["a.test"]);
        return UpstreamsFixture.SimpleConfig(upstreams.A.Address, log: "access = \"off\"", listener: $"""
            [listener.tls]
            cert = "{Pki.Path("a.pem")}"
            key = "{Pki.Path("a.key")}"
            {tls}
            """);
    }

    private string SessionFile(string name) => Path.Combine(_files.Directory, name);

    /// <summary>A connection with one request; with <paramref name="sessionIn"/> it offers that session, with <paramref name="sessionOut"/> it keeps the one it ends with.</summary>
    private static async Task<string> ExchangeAsync(FastGateProcess gateway, string version, string? sessionIn = null, string? sessionOut = null)
    {
        List<string> args = [version, "-servername", "a.test"];
        if (sessionIn is not null)
        {
            args.AddRange(["-sess_in", sessionIn]);
        }
        if (sessionOut is not null)
        {
            args.AddRange(["-sess_out", sessionOut]);
        }
        var (_, transcript) = await TlsOpenSslClient.RunAsync(gateway.Port, TlsOpenSslClient.Get("/"), [.. args]);
        Assert.Contains("Hello World!", transcript);
        return transcript;
    }

    [Theory]
    [InlineData("-tls1_2")]
    [InlineData("-tls1_3")]
    public async Task Resumption_SurvivesAReload(string version)
    {
        await using var gateway = await FastGateProcess.StartAsync(Config());
        var session = SessionFile("before-reload.pem");
        Assert.Contains("New,", await ExchangeAsync(gateway, version, sessionOut: session));

        using (var reload = await gateway.Admin.PostAsync("/reload", null))
        {
            Assert.True(reload.IsSuccessStatusCode, await reload.Content.ReadAsStringAsync());
        }

        var resumed = await ExchangeAsync(gateway, version, sessionIn: session);
        Assert.Contains("Reused,", resumed);
    }

    [Fact]
    public async Task TicketOfThePreviousKey_Resumes()
    {
        await using var gateway = await FastGateProcess.StartAsync(Config($"session_ticket_rotation = \"{Rotation}\""));
        var first = SessionFile("first.pem");
        var renewed = SessionFile("renewed.pem");
        Assert.Contains("New,", await ExchangeAsync(gateway, "-tls1_3", sessionOut: first));

        await Task.Delay(PastOneRotation);

        // This handshake turns the ring: the ticket's key is now the previous one, still accepted.
        Assert.Contains("Reused,", await ExchangeAsync(gateway, "-tls1_3", sessionIn: first, sessionOut: renewed));
        // The renewed ticket is sealed with the newest key.
        Assert.Contains("Reused,", await ExchangeAsync(gateway, "-tls1_3", sessionIn: renewed));
    }

    [Fact]
    public async Task TicketFromTwoRotationsAgo_FullHandshake()
    {
        await using var gateway = await FastGateProcess.StartAsync(Config($"session_ticket_rotation = \"{Rotation}\""));
        var old = SessionFile("old.pem");
        Assert.Contains("New,", await ExchangeAsync(gateway, "-tls1_3", sessionOut: old));

        await Task.Delay(PastOneRotation);
        // A full handshake turns the ring once: the ticket's key becomes the previous one...
        Assert.Contains("New,", await ExchangeAsync(gateway, "-tls1_3"));
        await Task.Delay(PastOneRotation);

        // ...and this one turns it again: that key is gone, the client gets a full handshake.
        var refused = await ExchangeAsync(gateway, "-tls1_3", sessionIn: old);
        Assert.Contains("New,", refused);
        Assert.DoesNotContain("Reused,", refused);
    }
}
