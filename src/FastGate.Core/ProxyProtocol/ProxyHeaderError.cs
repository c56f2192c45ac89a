namespace FastGate.Core.ProxyProtocol;

/// <summary>Why bytes were refused as a PROXY protocol header; <see cref="ProxyHeaderErrors.Name"/> is its metric label.</summary>
public enum ProxyHeaderError : byte
{
    None = 0,
    /// <summary>Neither the v1 "PROXY " prefix nor the v2 signature.</summary>
    Signature,
    /// <summary>A v2 header whose version nibble is not 2.</summary>
    Version,
    /// <summary>A v2 command other than LOCAL and PROXY.</summary>
    Command,
    /// <summary>A v2 family and transport byte the spec does not define.</summary>
    Family,
    /// <summary>A v1 line without CRLF in its first 107 bytes, or a v2 header over the size cap.</summary>
    TooLong,
    /// <summary>A v1 line that does not follow the grammar (fields, spaces, protocol name, line end).</summary>
    Syntax,
    /// <summary>An address that is not in the canonical form its family requires.</summary>
    Address,
    /// <summary>A v1 port that is not a decimal in 0..65535 without leading zeros.</summary>
    Port,
    /// <summary>A v2 length shorter than the address block its family requires.</summary>
    Length,
    /// <summary>A v2 TLV that runs past the end of the header.</summary>
    Tlv,
}
