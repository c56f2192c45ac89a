using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using FastGate.Proxy.Config;

namespace FastGate.Proxy.Tls;

/// <summary>
/// The server side of a TLS listener as one config (and its files) describes it: a handshake
/// option set per certificate, picked by the client's SNI name. Immutable; a reload or a changed
/// file builds a new one, and handshakes already under way finish on the one they started with.
/// </summary>
public sealed class TlsTermination
{
    private readonly SniCertificateMap<SslServerAuthenticationOptions> _options;

    private TlsTermination(SniCertificateMap<SslServerAuthenticationOptions> options, IReadOnlyList<ServerCertificate> certificates, TlsModel model)
    {
        _options = options;
        Certificates = certificates;
        Model = model;
    }

    public TlsModel Model { get; }

    /// <summary>The default certificate first, then each [[listener.tls.sni]] one in config order.</summary>
    public IReadOnlyList<ServerCertificate> Certificates { get; }

    /// <summary>Every file this termination was read from: certificates, keys and the client CA bundle.</summary>
    public IEnumerable<string> Files
    {
        get
        {
            foreach (var certificate in Certificates)
            {
                yield return certificate.CertPath;
                yield return certificate.KeyPath;
            }
            if (Model.ClientCaPath is not null)
            {
                yield return Model.ClientCaPath;
            }
        }
    }

    /// <summary>Reads every file of <paramref name="model"/>; throws <see cref="TlsCertificateException"/> naming the file that cannot be served.</summary>
    public static TlsTermination Build(TlsModel model, DateTime now)
    {
        ClientCertificateVerifier? verifier = null;
        SslCertificateTrust? trust = null;
        if (model.ClientAuth != TlsClientAuth.None && model.ClientCaPath is not null)
        {
            var authorities = CertificateLoader.ReadBundle(model.ClientCaPath);
            verifier = new ClientCertificateVerifier(authorities, model.ClientAuth);
            // The CA names go out in the certificate request, so a client with several
            // certificates can pick the one this listener accepts.
            trust = SslCertificateTrust.CreateForX509Collection(authorities, sendTrustInHandshake: true);
        }

        var protocols = model.Alpn.Select(p => new SslApplicationProtocol(p)).ToList();
        var fallback = CertificateLoader.Load(model.CertPath, model.KeyPath, now, trust);
        var certificates = new List<ServerCertificate> { fallback };
        var map = new SniCertificateMap<SslServerAuthenticationOptions>(Options(fallback, model, protocols, verifier));
        foreach (var sni in model.Sni)
        {
            var certificate = CertificateLoader.Load(sni.CertPath, sni.KeyPath, now, trust);
            certificates.Add(certificate);
            var options = Options(certificate, model, protocols, verifier);
            foreach (var name in sni.Names.Count > 0 ? sni.Names : certificate.DnsNames)
            {
                map.Add(name, options);
            }
        }
        return new TlsTermination(map, certificates, model);
    }

    /// <summary>The handshake options for a client that asked for <paramref name="serverName"/> (null: no SNI).</summary>
    public SslServerAuthenticationOptions OptionsFor(string? serverName) => _options.Select(serverName);

    /// <summary>The certificate a client asking for <paramref name="serverName"/> gets.</summary>
    public X509Certificate2 CertificateFor(string? serverName) => _options.Select(serverName).ServerCertificateContext!.TargetCertificate;

    private static SslServerAuthenticationOptions Options(
        ServerCertificate certificate, TlsModel model, List<SslApplicationProtocol> protocols, ClientCertificateVerifier? verifier)
    {
        var options = new SslServerAuthenticationOptions
        {
            ServerCertificateContext = certificate.Context,
            ApplicationProtocols = protocols,
            EnabledSslProtocols = model.Protocols,
            // Session resumption (tickets and the session cache) is on; see docs/config.md.
            AllowTlsResume = true,
            CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
            ClientCertificateRequired = verifier is not null,
        };
        if (verifier is not null)
        {
            options.RemoteCertificateValidationCallback = (_, cert, chain, _) => verifier.Validate(cert, chain);
        }
        return options;
    }
}
