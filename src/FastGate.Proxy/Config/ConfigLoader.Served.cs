namespace FastGate.Proxy.Config;

// What this version validates but does not serve yet.
public static partial class ConfigLoader
{
    /// <summary>
    /// Reports, at the key that asks for it, every listener feature the gateway would refuse to
    /// start: `check` must fail exactly where `run` and a reload would, not say "ok" for a file
    /// the daemon then rejects with no position. The gateway keeps its own backstop.
    /// </summary>
    private static void RefuseUnserved(ConfigReader r, IReadOnlyList<TomlTableNode> listeners)
    {
        foreach (var table in listeners)
        {
            var name = table.Find("name")?.Value is TomlScalar { Value: string s } ? s : "?";
            if (table.Find("tls") is { Value: TomlTableNode } tlsEntry)
            {
                r.Error(tlsEntry.KeyPosition, $"listener '{name}': TLS offload ([listener.tls]) is not served by this version; remove it and terminate TLS in front of FastGate");
            }
        }
    }
}
