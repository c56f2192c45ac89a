using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using FastGate.Proxy.Tls;

namespace FastGate.Proxy.Config;

// tls, sni, ca, tls_verify, tls_cert, tls_key and tls_min_version of [cluster.NAME]: TLS to the upstream.
public static partial class ConfigLoader
{
    private static readonly string[] UpstreamTlsKeys = ["tls", "sni", "ca", "tls_verify", "tls_cert", "tls_key", "tls_min_version"];

    private static readonly Dictionary<string, SslProtocols> TlsMinVersions = new()
    {
        ["1.2"] = SslProtocols.Tls12 | SslProtocols.Tls13,
        ["1.3"] = SslProtocols.Tls13,
    };

    private static ClusterModel ReadUpstreamTls(ConfigReader r, string name, TomlTableNode table, ClusterModel cluster)
    {
        var errorsBefore = r.Errors.Count;
        var enabled = r.Boolean(table, "tls");
        if (enabled != true)
        {
            // A CA or a client certificate on a plain cluster would be a setting that silently does nothing.
            foreach (var setting in UpstreamTlsKeys.AsSpan(1))
            {
                if (table.Find(setting) is { } entry)
                {
                    r.Error(entry.KeyPosition, $"'{setting}' in [cluster.{name}] needs tls = true");
                }
            }
            return cluster;
        }

        string? sni = null;
        if (r.String(table, "sni") is { } sniText)
        {
            if (System.Net.IPAddress.TryParse(sniText.Value, out _) || !AddressParser.IsHostName(sniText.Value))
            {
                r.Error(sniText.At, $"'sni' must be a DNS host name, got '{sniText.Value}'");
            }
            else
            {
                sni = sniText.Value.ToLowerInvariant();
            }
        }

        X509Certificate2Collection? authorities = null;
        if (ReadPemPath(r, table, "ca") is var (caPath, caAt))
        {
            authorities = LoadAuthorities(r, caPath, caAt);
        }

        var verify = r.Boolean(table, "tls_verify") ?? true;
        var protocols = r.Choice(table, "tls_min_version", TlsMinVersions) ?? TlsMinVersions["1.2"];

        X509Certificate2? clientCertificate = null;
        X509Certificate2Collection clientChain = [];
        var cert = ReadPemPath(r, table, "tls_cert");
        var key = ReadPemPath(r, table, "tls_key");
        if (cert is var (certPath, certAt) && key is var (keyPath, _))
        {
            (clientCertificate, clientChain) = LoadClientCertificate(r, certPath, keyPath, certAt);
        }
        else if ((cert is null) != (key is null) && table.Find(cert is null ? "tls_key" : "tls_cert") is { } alone)
        {
            r.Error(alone.KeyPosition, $"'tls_cert' and 'tls_key' go together in [cluster.{name}]");
        }

        if (r.Errors.Count != errorsBefore)
        {
            return cluster;
        }

        var identity = string.Join('|',
            sni ?? "-",
            authorities is null ? "system" : string.Join(',', authorities.Select(c => c.Thumbprint)),
            verify ? "verify" : "no-verify",
            clientCertificate?.Thumbprint ?? "-",
            (int)protocols);
        return cluster with
        {
            Tls = new UpstreamTlsModel
            {
                Sni = sni,
                Authorities = authorities,
                Verify = verify,
                ClientCertificate = clientCertificate,
                ClientChain = clientChain,
                Protocols = protocols,
                Identity = identity,
            },
        };
    }

    /// <summary>A path key whose file must exist, with where it was written for the errors about its content.</summary>
    private static (string Path, SourcePosition At)? ReadPemPath(ConfigReader r, TomlTableNode table, string key)
    {
        var text = r.String(table, key);
        if (text is null)
        {
            return null;
        }
        if (r.ExistingFile(table, key) is { } path)
        {
            return (path, text.At);
        }
        return null;
    }

    private static X509Certificate2Collection? LoadAuthorities(ConfigReader r, string path, SourcePosition at)
    {
        var authorities = new X509Certificate2Collection();
        try
        {
            authorities.ImportFromPemFile(path);
        }
        catch (Exception ex) when (ex is CryptographicException or IOException or UnauthorizedAccessException)
        {
            r.Error(at, $"cannot read the CA bundle {path}: {ex.Message}");
            return null;
        }
        if (authorities.Count == 0)
        {
            r.Error(at, $"no PEM certificate in the CA bundle {path}");
            return null;
        }
        return authorities;
    }

    private static (X509Certificate2?, X509Certificate2Collection) LoadClientCertificate(ConfigReader r, string certPath, string keyPath, SourcePosition at)
    {
        try
        {
            var (certificate, chain) = CertificateLoader.ReadChain(certPath, keyPath);
            if (certificate.NotAfter < DateTime.Now)
            {
                r.Error(at, $"the client certificate in {certPath} expired on {certificate.NotAfter:yyyy-MM-dd}");
                return (null, []);
            }
            return (certificate, chain);
        }
        catch (TlsCertificateException ex)
        {
            r.Error(at, $"cannot load the client certificate {certPath} with the key {keyPath}: {ex.Message}");
            return (null, []);
        }
    }
}
