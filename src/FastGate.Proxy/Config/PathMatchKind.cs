namespace FastGate.Proxy.Config;

public enum PathMatchKind
{
    /// <summary>No path condition: every path matches.</summary>
    Any,
    Exact,
    Prefix,
    Regex,
}
