using System.Security.Cryptography.X509Certificates;
using FastGate.Core.Tls.OpenSsl;
using FastGate.Proxy.Config;

namespace FastGate.Proxy.Tls;

/// <summary>
/// The server side of a TLS listener as one config (and its files) describes it: an OpenSSL
/// server context per certificate, picked by the client's SNI name. Immutable; a reload or a
/// changed file builds a new one, and handshakes already under way finish on the one they started
/// with.
/// </summary>
public sealed class TlsTermination : IOpenSslContextSelector
{
    private readonly SniCertificateMap<TlsServerIdentity> _identities;

    private TlsTermination(SniCertificateMap<TlsServerIdentity> identities, IReadOnlyList<ServerCertificate> certificates, TlsModel model, ClientCertificateVerifier? verifier)
    {
        _identities = identities;
        Certificates = certificates;
        Model = model;
        Verifier = verifier;
    }

    public TlsModel Model { get; }

    /// <summary>The default certificate first, then each [[listener.tls.sni]] one in config order.</summary>
    public IReadOnlyList<ServerCertificate> Certificates { get; }

    /// <summary>Checks client certificates; null when the listener asks for none.</summary>
    public ClientCertificateVerifier? Verifier { get; }

    /// <summary>The context a handshake starts on: the default certificate's.</summary>
    public OpenSslServerContext DefaultContext => _identities.Default.Context;

    /// <summary>The SNI switch, when there is more than one certificate to pick from.</summary>
    public IOpenSslContextSelector? Selector => Model.Sni.Count > 0 ? this : null;

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
        if (model.ClientAuth != TlsClientAuth.None && model.ClientCaPath is not null)
        {
            verifier = new ClientCertificateVerifier(CertificateLoader.ReadBundle(model.ClientCaPath));
        }

        var fallback = Identity(model.CertPath, model.KeyPath, model, now);
        var certificates = new List<ServerCertificate> { fallback.Certificate };
        var map = new SniCertificateMap<TlsServerIdentity>(fallback);
        foreach (var sni in model.Sni)
        {
            var identity = Identity(sni.CertPath, sni.KeyPath, model, now);
            certificates.Add(identity.Certificate);
            foreach (var name in sni.Names.Count > 0 ? sni.Names : identity.Certificate.DnsNames)
            {
                map.Add(name, identity);
            }
        }
        return new TlsTermination(map, certificates, model, verifier);
    }

    /// <summary>The context for a client that asked for <paramref name="serverName"/> (null: no SNI).</summary>
    public OpenSslServerContext Select(string? serverName) => _identities.Select(serverName).Context;

    /// <summary>The certificate a client asking for <paramref name="serverName"/> gets.</summary>
    public X509Certificate2 CertificateFor(string? serverName) => _identities.Select(serverName).Certificate.Certificate;

    private static TlsServerIdentity Identity(string certPath, string keyPath, TlsModel model, DateTime now)
    {
        // The managed read first: its checks name the file and the reason (dates, a key that does not match).
        var certificate = CertificateLoader.Load(certPath, keyPath, now);
        try
        {
            var context = OpenSslServerContext.Create(new OpenSslServerOptions
            {
                CertificateChainPath = certPath,
                PrivateKeyPath = keyPath,
                ApplicationProtocols = model.Alpn,
                Tls13Only = !model.Protocols.HasFlag(System.Security.Authentication.SslProtocols.Tls12),
                ClientCertificates = model.ClientAuth switch
                {
                    TlsClientAuth.Required => OpenSslClientCertificateMode.Required,
                    TlsClientAuth.Optional => OpenSslClientCertificateMode.Optional,
                    _ => OpenSslClientCertificateMode.None,
                },
                ClientCaPath = model.ClientCaPath,
            });
            return new TlsServerIdentity(certificate, context);
        }
        catch (OpenSslException ex)
        {
            throw new TlsCertificateException($"OpenSSL cannot serve {certPath} with {keyPath}: {ex.Message}", ex);
        }
    }
}
