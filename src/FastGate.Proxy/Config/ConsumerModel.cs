using System.Text;

namespace FastGate.Proxy.Config;

/// <summary>A validated <c>[consumer.NAME]</c>: who is calling, as stages and the access log know it.</summary>
public sealed record ConsumerModel
{
    public ConsumerModel(string name)
    {
        Name = name;
        NameUtf8 = Encoding.UTF8.GetBytes(name);
    }

    public string Name { get; }
    public byte[] NameUtf8 { get; }
    public long? RequestsPerMinute { get; init; }
}
