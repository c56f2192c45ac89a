using System.Collections.Frozen;

namespace FastGate.Proxy.Config;

/// <summary>
/// The consumers of a snapshot, indexed the three ways an auth stage finds one: by the hash of an
/// API key, by the hash of a basic-auth user name, and by a JWT subject. Built once per load and
/// shared by every route's auth stage; lookups allocate nothing.
/// </summary>
public sealed class ConsumerIndex
{
    public static readonly ConsumerIndex Empty = new([]);

    private readonly FrozenDictionary<CredentialHash, ConsumerModel> _byKey;
    private readonly FrozenDictionary<CredentialHash, ConsumerModel> _byBasicUser;
    private readonly FrozenDictionary<string, ConsumerModel>.AlternateLookup<ReadOnlySpan<char>> _bySubject;

    /// <summary>
    /// Indexes <paramref name="consumers"/>. The loader has already refused duplicate keys, user
    /// names and subjects; should one slip through, the first consumer keeps it.
    /// </summary>
    public ConsumerIndex(IReadOnlyCollection<ConsumerModel> consumers)
    {
        var byKey = new Dictionary<CredentialHash, ConsumerModel>();
        var byBasicUser = new Dictionary<CredentialHash, ConsumerModel>();
        var bySubject = new Dictionary<string, ConsumerModel>(StringComparer.Ordinal);
        foreach (var consumer in consumers)
        {
            foreach (var hash in consumer.KeyHashes)
            {
                byKey.TryAdd(hash, consumer);
            }
            if (consumer.BasicUsername is { } user)
            {
                byBasicUser.TryAdd(CredentialHash.Of(user), consumer);
            }
            if (consumer.JwtSubject is { } subject)
            {
                bySubject.TryAdd(subject, consumer);
            }
        }
        _byKey = byKey.ToFrozenDictionary();
        _byBasicUser = byBasicUser.ToFrozenDictionary();
        _bySubject = bySubject.ToFrozenDictionary(StringComparer.Ordinal).GetAlternateLookup<ReadOnlySpan<char>>();
    }

    public bool HasApiKeys => _byKey.Count > 0;
    public bool HasBasicUsers => _byBasicUser.Count > 0;

    public bool TryGetByKeyHash(in CredentialHash keyHash, out ConsumerModel consumer) =>
        _byKey.TryGetValue(keyHash, out consumer!);

    public bool TryGetByBasicUserHash(in CredentialHash userHash, out ConsumerModel consumer) =>
        _byBasicUser.TryGetValue(userHash, out consumer!);

    public bool TryGetBySubject(ReadOnlySpan<char> subject, out ConsumerModel consumer) =>
        _bySubject.TryGetValue(subject, out consumer!);
}
