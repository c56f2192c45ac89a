namespace FastGate.Proxy.Observability;

/// <summary>Counters of one consumer, by name; they outlive reloads that keep the consumer.</summary>
public sealed class ConsumerState(string name) : RequestCounts(name);
