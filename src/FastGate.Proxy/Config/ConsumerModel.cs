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

    /// <summary>The SHA-256 of each API key (<c>keys</c>); the keys themselves are not kept.</summary>
    public IReadOnlyList<CredentialHash> KeyHashes { get; init; } = [];

    /// <summary>A JWT whose <c>sub</c> claim equals this is this consumer (<c>jwt_subject</c>); null when none.</summary>
    public string? JwtSubject { get; init; }

    /// <summary>The basic-auth user name (<c>basic_username</c>); null when the consumer has no basic credentials.</summary>
    public string? BasicUsername { get; init; }

    /// <summary>The SHA-256 of the basic-auth password (<c>basic_password</c>).</summary>
    public CredentialHash BasicPasswordHash { get; init; }

    /// <summary><c>[consumer.NAME.limits] requests_per_minute</c>; null when the consumer has no limit of its own.</summary>
    public long? RequestsPerMinute { get; init; }
}
