namespace FastGate.Core.ProxyProtocol;

/// <summary>Names of <see cref="ProxyHeaderError"/> values as metric labels and log words.</summary>
public static class ProxyHeaderErrors
{
    public static string Name(ProxyHeaderError error) => error switch
    {
        ProxyHeaderError.Signature => "signature",
        ProxyHeaderError.Version => "version",
        ProxyHeaderError.Command => "command",
        ProxyHeaderError.Family => "family",
        ProxyHeaderError.TooLong => "too_long",
        ProxyHeaderError.Syntax => "syntax",
        ProxyHeaderError.Address => "address",
        ProxyHeaderError.Port => "port",
        ProxyHeaderError.Length => "length",
        ProxyHeaderError.Tlv => "tlv",
        _ => "none",
    };
}
