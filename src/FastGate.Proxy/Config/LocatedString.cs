namespace FastGate.Proxy.Config;

/// <summary>A string value with where it was written, for checks made after reading it.</summary>
internal sealed record LocatedString(string Value, SourcePosition At);
