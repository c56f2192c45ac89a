using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace FastGate.Proxy.Tls;

/// <summary>
/// What a client connection's TLS session tells the upstream: that it was TLS, and who the client
/// proved to be. The header fields are formatted once per connection, then copied into every
/// request of it.
/// </summary>
public sealed class TlsConnectionInfo
{
    /// <summary>A session on a listener that asks for no client certificate.</summary>
    public static readonly TlsConnectionInfo Anonymous = new(null, null, []);

    /// <summary>A session on a listener that asks for one, from a client that sent none.</summary>
    public static readonly TlsConnectionInfo NoClientCertificate = new(null, null, "X-Client-Cert-Verified: NONE\r\n"u8.ToArray());

    private TlsConnectionInfo(string? subject, string? fingerprint, byte[] upstreamFields)
    {
        ClientSubject = subject;
        ClientFingerprint = fingerprint;
        UpstreamFields = upstreamFields;
    }

    /// <summary>The verified client certificate's subject; null without one.</summary>
    public string? ClientSubject { get; }
    /// <summary>The SHA-256 of the verified client certificate, lower-case hex; null without one.</summary>
    public string? ClientFingerprint { get; }
    /// <summary>"Name: value\r\n" lines added to each request sent upstream.</summary>
    public byte[] UpstreamFields { get; }

    /// <summary>A session whose client presented <paramref name="certificate"/> and it was verified.</summary>
    public static TlsConnectionInfo Verified(X509Certificate2 certificate)
    {
        var subject = certificate.Subject;
        var fingerprint = Convert.ToHexStringLower(certificate.GetCertHash(System.Security.Cryptography.HashAlgorithmName.SHA256));
        var fields = new StringBuilder(128 + subject.Length)
            .Append("X-Client-Cert-Verified: SUCCESS\r\n")
            .Append("X-Client-Cert-Subject: ").Append(FieldValue(subject)).Append("\r\n")
            .Append("X-Client-Cert-Fingerprint: ").Append(fingerprint).Append("\r\n")
            .ToString();
        return new TlsConnectionInfo(subject, fingerprint, Encoding.UTF8.GetBytes(fields));
    }

    /// <summary>
    /// A subject as a field value: a CA may put any character in a name, and a control character
    /// (a CR or LF above all) must not end the field and start another.
    /// </summary>
    private static string FieldValue(string text)
    {
        var value = new StringBuilder(text.Length);
        foreach (var c in text)
        {
            value.Append(c < 0x20 || c == 0x7f ? '?' : c);
        }
        return value.ToString();
    }
}
