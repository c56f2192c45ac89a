using System.Collections.Frozen;
using System.Diagnostics.CodeAnalysis;

namespace FastGate.Proxy.Config;

/// <summary>
/// The consumers of a snapshot, indexed the three ways an auth stage finds one: by the hash of an
/// API key, by the hash of a basic-auth user name, and by a JWT subject. Built once per load and
/// shared by every route's auth stage; lookups allocate nothing.
/// </summary>
public sealed class ConsumerIndex
{
    public static readonly ConsumerIndex Empty = new([]);

    // Compared against for an unknown user so the answer takes as long as for a known one. All
    // zeros is no password's SHA-256 in practice, and (unlike hashing a text here) needs no
    // crypto library loaded by a daemon that serves no consumers.
    private static readonly CredentialHash UnknownUserPassword = default;

    private readonly record struct KeyEntry(CredentialHash Hash, ConsumerModel Consumer);

    private readonly FrozenDictionary<CredentialHash, KeyEntry> _byKey;
    private readonly FrozenDictionary<CredentialHash, ConsumerModel> _byBasicUser;
    private readonly FrozenDictionary<string, ConsumerModel>.AlternateLookup<ReadOnlySpan<char>> _bySubject;

    /// <summary>
    /// Indexes <paramref name="consumers"/>. The loader has already refused duplicate keys, user
    /// names and subjects; should one slip through, the first consumer keeps it.
    /// </summary>
    public ConsumerIndex(IReadOnlyCollection<ConsumerModel> consumers)
    {
        var byKey = new Dictionary<CredentialHash, KeyEntry>();
        var byBasicUser = new Dictionary<CredentialHash, ConsumerModel>();
        var bySubject = new Dictionary<string, ConsumerModel>(StringComparer.Ordinal);
        foreach (var consumer in consumers)
        {
            foreach (var hash in consumer.KeyHashes)
            {
                byKey.TryAdd(hash, new KeyEntry(hash, consumer));
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

    /// <summary>
    /// The consumer whose key hashes to <paramref name="keyHash"/>. The dictionary finds the entry;
    /// the stored hash is then compared in constant time, so the answer never rests on a comparison
    /// that stops at the first differing byte.
    /// </summary>
    public bool TryGetByKeyHash(in CredentialHash keyHash, [NotNullWhen(true)] out ConsumerModel? consumer)
    {
        if (_byKey.TryGetValue(keyHash, out var entry) && CredentialHash.FixedTimeEquals(entry.Hash, keyHash))
        {
            consumer = entry.Consumer;
            return true;
        }
        consumer = null;
        return false;
    }

    /// <summary>
    /// The consumer with this basic user name and password. The password is compared in constant
    /// time, against a stand-in when the user is unknown, so the time taken does not tell a caller
    /// whether the user name exists.
    /// </summary>
    public bool TryGetByBasicCredentials(in CredentialHash userHash, in CredentialHash passwordHash, [NotNullWhen(true)] out ConsumerModel? consumer)
    {
        var found = _byBasicUser.TryGetValue(userHash, out var candidate);
        var expected = found ? candidate!.BasicPasswordHash : UnknownUserPassword;
        var match = CredentialHash.FixedTimeEquals(expected, passwordHash);
        consumer = found && match ? candidate : null;
        return consumer is not null;
    }

    public bool TryGetBySubject(ReadOnlySpan<char> subject, [NotNullWhen(true)] out ConsumerModel? consumer) =>
        _bySubject.TryGetValue(subject, out consumer);
}
