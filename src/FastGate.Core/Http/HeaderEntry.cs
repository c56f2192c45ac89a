namespace FastGate.Core.Http;

/// <summary>One header as byte ranges into the head buffer it was parsed from (no strings).</summary>
public struct HeaderEntry
{
    public int NameStart;
    public int NameLength;
    /// <summary>The value with leading and trailing OWS removed.</summary>
    public int ValueStart;
    public int ValueLength;
    public KnownHeader Known;
}
