namespace FastGate.Proxy.Config;

public enum ListenerProtocol
{
    Http,
    Tcp,
    TlsPassthrough,
}
