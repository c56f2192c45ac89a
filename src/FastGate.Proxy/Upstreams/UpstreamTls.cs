using System.Net;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using FastGate.Core.Transport;
using FastGate.Proxy.Config;

namespace FastGate.Proxy.Upstreams;

/// <summary>
/// TLS to a cluster's endpoints: the handshake over a new TCP connection, verified against the
/// cluster's CA bundle or the system roots and the SNI name, with the client certificate when one
/// is configured. Handshakes happen once per connection; the connection is then pooled as a plain
/// one is. Off the request path: a handshake may allocate.
/// <para>
/// The TCP connection under TLS is a plain socket (<see cref="NetworkStreamTransport"/>) even on
/// the event loops: an <see cref="SslStream"/> reads and writes from whichever thread its awaits
/// resume on, and a loop's own connections are for its thread only. The exchange code already
/// switches back to its loop after an await that completed elsewhere.
/// </para>
/// </summary>
public sealed class UpstreamTls
{
    private static readonly List<SslApplicationProtocol> Alpn = [SslApplicationProtocol.Http11];
    private static readonly List<SslApplicationProtocol> AlpnHttp2 = [SslApplicationProtocol.Http2];

    private readonly UpstreamTlsState _state;
    private readonly SslStreamCertificateContext? _clientCertificate;
    private readonly X509ChainPolicy? _chainPolicy;

    public UpstreamTls(UpstreamTlsModel model, UpstreamTlsState state)
    {
        Model = model;
        _state = state;
        if (model.ClientCertificate is { } certificate)
        {
            _clientCertificate = SslStreamCertificateContext.Create(certificate, model.ClientChain, offline: true);
        }
        if (model.Authorities is { } authorities)
        {
            _chainPolicy = new X509ChainPolicy
            {
                TrustMode = X509ChainTrustMode.CustomRootTrust,
                RevocationMode = X509RevocationMode.NoCheck,
            };
            _chainPolicy.CustomTrustStore.AddRange(authorities);
        }
    }

    public UpstreamTlsModel Model { get; }

    /// <summary>The name the handshake sends as SNI and checks the certificate against.</summary>
    public string TargetHost(EndpointModel endpoint) => Model.Sni ?? endpoint.EndPoint switch
    {
        DnsEndPoint dns => dns.Host,
        // An IP is never sent as SNI; the certificate is checked for it as an IP address entry.
        IPEndPoint ip => ip.Address.ToString(),
        var other => other.ToString() ?? "",
    };

    /// <summary>
    /// Wraps <paramref name="transport"/>, just connected to <paramref name="target"/>, in TLS.
    /// Throws <see cref="UpstreamTlsException"/> when the handshake fails, <see cref="OperationCanceledException"/>
    /// when it does not end within <paramref name="timeout"/>; the transport is closed then.
    /// </summary>
    public async ValueTask<ITransport> AuthenticateAsync(ITransport transport, EndPoint target, string targetHost, TimeSpan timeout)
    {
        var ssl = new SslStream(StreamTransport.AsStream(transport), leaveInnerStreamOpen: false);
        try
        {
            using var cts = new CancellationTokenSource(timeout);
            await HandshakeAsync(ssl, target, targetHost, cts.Token).ConfigureAwait(false);
            return new StreamTransport(ssl, transport);
        }
        catch
        {
            await ssl.DisposeAsync().ConfigureAwait(false);
            transport.Dispose();
            throw;
        }
    }

    /// <summary>The handshake over a plain stream (health checks); the caller owns <paramref name="ssl"/>.</summary>
    internal async Task HandshakeAsync(SslStream ssl, EndPoint target, string targetHost, CancellationToken cancel)
    {
        string? refusal = null;
        var options = new SslClientAuthenticationOptions
        {
            TargetHost = targetHost,
            ApplicationProtocols = Model.Http2 ? AlpnHttp2 : Alpn,
            EnabledSslProtocols = Model.Protocols,
            ClientCertificateContext = _clientCertificate,
            CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
            CertificateChainPolicy = Model.Verify ? _chainPolicy?.Clone() : null,
            RemoteCertificateValidationCallback = (_, certificate, chain, errors) =>
            {
                if (!Model.Verify || errors == SslPolicyErrors.None)
                {
                    return true;
                }
                refusal = Describe(errors, chain, targetHost);
                return false;
            },
        };
        try
        {
            await ssl.AuthenticateAsClientAsync(options, cancel).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            _state.Failed();
            throw;
        }
        catch (Exception ex)
        {
            // Whatever broke the handshake (a refused certificate, an alert, the peer closing, bytes
            // that are not TLS), it is this connection's failure, not the daemon's.
            _state.Failed();
            // An HTTP/1.1-only server refuses an h2-only offer with an alert: say what was offered.
            var offer = Model.Http2 ? "; ALPN offered h2 only (protocol = \"h2\")" : "";
            throw new UpstreamTlsException($"TLS handshake with {target} (sni {targetHost}) failed: {refusal ?? Innermost(ex)}{offer}", ex);
        }
        if (Model.Http2 && ssl.NegotiatedApplicationProtocol != SslApplicationProtocol.Http2)
        {
            // HTTP/2 frames to a server that expects HTTP/1.1 would be read as a broken request.
            _state.Failed();
            throw new UpstreamTlsException($"TLS handshake with {target} (sni {targetHost}): the upstream did not select h2 by ALPN (protocol = \"h2\" needs it)", null);
        }
        _state.Succeeded();
    }

    private static string Describe(SslPolicyErrors errors, X509Chain? chain, string targetHost)
    {
        var reasons = new List<string>();
        if (errors.HasFlag(SslPolicyErrors.RemoteCertificateNotAvailable))
        {
            reasons.Add("the upstream sent no certificate");
        }
        if (errors.HasFlag(SslPolicyErrors.RemoteCertificateNameMismatch))
        {
            reasons.Add($"the certificate is not for '{targetHost}'");
        }
        if (errors.HasFlag(SslPolicyErrors.RemoteCertificateChainErrors))
        {
            var statuses = chain?.ChainStatus.Select(s => s.Status.ToString()).Distinct() ?? [];
            reasons.Add($"the certificate is not trusted ({string.Join(", ", statuses)})");
        }
        return string.Join("; ", reasons);
    }

    // SslStream wraps the OpenSSL error in one or two layers: the outer says what happened (an
    // alert from the upstream), the innermost names the error.
    private static string Innermost(Exception ex)
    {
        var inner = ex;
        while (inner.InnerException is not null)
        {
            inner = inner.InnerException;
        }
        return ReferenceEquals(inner, ex) ? ex.Message : $"{ex.Message} ({inner.Message})";
    }
}
