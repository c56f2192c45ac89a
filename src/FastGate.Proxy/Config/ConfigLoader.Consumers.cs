namespace FastGate.Proxy.Config;

// [consumer.NAME] and [consumer.NAME.limits].
public static partial class ConfigLoader
{
    private static readonly string[] ConsumerKeys = ["keys", "jwt_subject", "basic_username", "basic_password", "limits"];
    private static readonly string[] ConsumerLimitKeys = ["requests_per_minute", "tokens_per_minute", "budget_usd"];

    /// <summary>
    /// Reads every consumer. Credentials must name one caller each: a key, a basic user name or a
    /// JWT subject given to two consumers is refused at the second, since a request could not say
    /// which of them it is. Errors never quote a key, only where it was written.
    /// </summary>
    private static Dictionary<string, ConsumerModel> ReadConsumers(ConfigReader r, TomlTableNode root)
    {
        var consumers = new Dictionary<string, ConsumerModel>(StringComparer.Ordinal);
        var table = r.Table(root, "consumer");
        if (table is null)
        {
            return consumers;
        }

        var keyOwners = new Dictionary<CredentialHash, string>();
        var userOwners = new Dictionary<string, string>(StringComparer.Ordinal);
        var subjectOwners = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var entry in table.Entries)
        {
            var name = entry.Key;
            if (!r.TryNamedTable(entry, "consumer", out var consumerTable))
            {
                continue;
            }

            if (ReadConsumer(r, name, consumerTable, keyOwners, userOwners, subjectOwners) is { } consumer)
            {
                consumers.Add(name, consumer);
            }
        }

        return consumers;
    }

    private static ConsumerModel? ReadConsumer(
        ConfigReader r, string name, TomlTableNode table,
        Dictionary<CredentialHash, string> keyOwners, Dictionary<string, string> userOwners, Dictionary<string, string> subjectOwners)
    {
        var context = $"[consumer.{name}]";
        int errorsBefore = r.Errors.Count;
        r.CheckKeys(table, context, ConsumerKeys);

        var keyHashes = new List<CredentialHash>();
        foreach (var item in r.StringArray(table, "keys", "an array of keys like [\"env:ALICE_KEY\"]") ?? [])
        {
            if (!SecretResolver.TryResolve(item.Value, r.BaseDirectory, out var key, out var error))
            {
                r.Error(item.At, $"{error} in 'keys'");
                continue;
            }

            var hash = CredentialHash.Of(key);
            if (keyOwners.TryGetValue(hash, out var owner))
            {
                r.Error(item.At, owner == name
                    ? $"consumer '{name}' lists the same key twice"
                    : $"this key of consumer '{name}' is already a key of consumer '{owner}': a key must name one consumer");
                continue;
            }

            keyOwners.Add(hash, name);
            keyHashes.Add(hash);
        }

        string? subject = null;
        if (r.String(table, "jwt_subject") is { } subjectText)
        {
            if (subjectText.Value.Length == 0)
            {
                r.Error(subjectText.At, "'jwt_subject' must not be empty");
            }
            else if (subjectOwners.TryGetValue(subjectText.Value, out var owner))
            {
                r.Error(subjectText.At, $"jwt_subject '{subjectText.Value}' is already the subject of consumer '{owner}'");
            }
            else
            {
                subjectOwners.Add(subjectText.Value, name);
                subject = subjectText.Value;
            }
        }

        var (user, passwordHash) = ReadBasicCredentials(r, name, table, userOwners);

        long? requestsPerMinute = null;
        if (r.Table(table, "limits") is { } limits)
        {
            r.CheckKeys(limits, $"[consumer.{name}.limits]", ConsumerLimitKeys);
            requestsPerMinute = r.Integer(limits, "requests_per_minute", 1, int.MaxValue);
            foreach (var aiKey in (ReadOnlySpan<string>)["tokens_per_minute", "budget_usd"])
            {
                if (limits.Find(aiKey) is { } aiEntry)
                {
                    r.Error(aiEntry.KeyPosition, $"consumer '{name}': '{aiKey}' limits AI routes, which are not served yet; remove it");
                }
            }
        }

        if (r.Errors.Count != errorsBefore)
        {
            return null;
        }

        if (keyHashes.Count == 0 && subject is null && user is null)
        {
            r.Error(table.Position, $"consumer '{name}' has no credential: set 'keys', 'jwt_subject' or 'basic_username' and 'basic_password'");
            return null;
        }

        return new ConsumerModel(name)
        {
            KeyHashes = keyHashes.ToArray(),
            JwtSubject = subject,
            BasicUsername = user,
            BasicPasswordHash = passwordHash,
            RequestsPerMinute = requestsPerMinute,
        };
    }

    /// <summary>basic_username and basic_password come together; the password is kept only as its SHA-256.</summary>
    private static (string? User, CredentialHash PasswordHash) ReadBasicCredentials(
        ConfigReader r, string name, TomlTableNode table, Dictionary<string, string> userOwners)
    {
        var userText = r.String(table, "basic_username");
        bool hasPassword = table.Find("basic_password") is not null;
        var password = r.Secret(table, "basic_password");
        if (userText is null)
        {
            if (hasPassword)
            {
                r.Error(table.Find("basic_password")!.KeyPosition, $"consumer '{name}': 'basic_password' needs 'basic_username'");
            }

            return (null, default);
        }

        // RFC 7617 §2: the user-id cannot contain a colon, the first one ends it.
        if (userText.Value.Length == 0 || userText.Value.Contains(':'))
        {
            r.Error(userText.At, "'basic_username' must be non-empty and must not contain ':'");
            return (null, default);
        }

        if (!hasPassword)
        {
            r.Error(userText.At, $"consumer '{name}': 'basic_username' needs 'basic_password'");
            return (null, default);
        }

        if (userOwners.TryGetValue(userText.Value, out var owner))
        {
            r.Error(userText.At, $"basic_username '{userText.Value}' is already the user name of consumer '{owner}'");
            return (null, default);
        }

        userOwners.Add(userText.Value, name);
        return password is null ? (null, default) : (userText.Value, CredentialHash.Of(password));
    }
}
