namespace FastGate.Proxy.Config;

/// <summary>An inclusive range of HTTP statuses ("200-299", or one status as a range of one).</summary>
public readonly record struct StatusRange(int From, int To);
