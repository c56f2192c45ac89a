using System.Text;
using System.Text.RegularExpressions;
using FastGate.Proxy.Config;

namespace FastGate.Proxy.Routing;

public sealed partial class RouteTable
{
    /// <summary>
    /// Up to this many regex routes are compiled to IL. Measured on .NET 10 with a typical
    /// anchored path pattern: compiled, about 0.09 ms per pattern to build (first-call JIT
    /// included) and about 20 ns per match; interpreted, about 0.006 ms to build and about 50 ns
    /// per match; NonBacktracking, about 1.7 ms to build and about 36 ns per match, so it is not
    /// used. Past the limit patterns are interpreted so a table with thousands of them still
    /// builds quickly.
    /// </summary>
    internal const int CompiledRegexLimit = 64;

    /// <summary>Time budget of one regex match, so a backtracking pattern cannot stall a request loop.</summary>
    internal static readonly TimeSpan RegexMatchTimeout = TimeSpan.FromMilliseconds(50);

    private RouteTable(
        RouteModel[] routes,
        RouteConditions[] conditions,
        PathTrie trie,
        Bucket[] buckets,
        Dictionary<string, int> exactHosts,
        Dictionary<string, int> wildcardHosts,
        int anyHostBucket,
        bool hasRegex)
    {
        _routes = routes;
        _conditions = conditions;
        _trie = trie;
        _buckets = buckets;
        _exactHosts = exactHosts.GetAlternateLookup<ReadOnlySpan<char>>();
        _wildcardHosts = wildcardHosts.GetAlternateLookup<ReadOnlySpan<char>>();
        _wildcardCount = wildcardHosts.Count;
        _anyHostBucket = anyHostBucket;
        _hasRegex = hasRegex;
        foreach (string h in exactHosts.Keys)
        {
            _maxHostLength = Math.Max(_maxHostLength, h.Length);
        }

        _minWildcardSuffix = int.MaxValue;
        foreach (string suffix in wildcardHosts.Keys)
        {
            _minWildcardSuffix = Math.Min(_minWildcardSuffix, suffix.Length);
            _maxWildcardSuffix = Math.Max(_maxWildcardSuffix, suffix.Length);
        }

        if (wildcardHosts.Count != 0)
        {
            // A wildcard needs at least one character before its suffix, so a host this long still
            // has room for one; past it only the tail is looked at.
            _maxHostLength = Math.Max(_maxHostLength, _maxWildcardSuffix + 1);
        }
    }

    /// <summary>
    /// Compiles validated routes. A route's id is its index in <paramref name="routes"/>; ties
    /// between routes at the same spot go to the lower <see cref="RouteModel.Order"/> (file
    /// position), then the lower id.
    /// </summary>
    /// <param name="routes">The routes of one snapshot.</param>
    /// <param name="listenerNames">The http listeners; a request's listener index points into this
    /// list. A route naming a listener not in it never matches on that listener.</param>
    /// <exception cref="ArgumentException">A regex route's pattern does not parse.</exception>
    public static RouteTable Build(IReadOnlyList<RouteModel> routes, IReadOnlyList<string> listenerNames) =>
        Build(routes, listenerNames, RegexMatchTimeout);

    /// <summary>
    /// As <see cref="Build(IReadOnlyList{RouteModel}, IReadOnlyList{string})"/> with another time
    /// budget per regex match: tests of what a pattern matches must not depend on how busy the
    /// machine is while the budget's wall clock runs.
    /// </summary>
    internal static RouteTable Build(
        IReadOnlyList<RouteModel> routes, IReadOnlyList<string> listenerNames, TimeSpan regexMatchTimeout)
    {
        ArgumentNullException.ThrowIfNull(routes);
        ArgumentNullException.ThrowIfNull(listenerNames);

        var models = new RouteModel[routes.Count];
        var fileOrder = new long[models.Length];
        var ids = new int[models.Length];
        int regexCount = 0;
        for (int i = 0; i < models.Length; i++)
        {
            models[i] = routes[i] ?? throw new ArgumentException($"Route {i} is null.", nameof(routes));
            // Order in the high half, id in the low half: one unstable sort gives a stable file order.
            fileOrder[i] = ((long)models[i].Order << 32) | (uint)i;
            ids[i] = i;
            if (models[i].PathKind == PathMatchKind.Regex)
            {
                regexCount++;
            }
        }

        Array.Sort(fileOrder, ids);

        var listenerIndex = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < listenerNames.Count; i++)
        {
            listenerIndex.TryAdd(listenerNames[i], i);
        }

        RegexOptions regexOptions = RegexOptions.CultureInvariant
            | (regexCount <= CompiledRegexLimit ? RegexOptions.Compiled : RegexOptions.None);
        var conditions = new RouteConditions[models.Length];
        var exact = new Dictionary<string, BucketBuilder>(StringComparer.Ordinal);
        var wildcard = new Dictionary<string, BucketBuilder>(StringComparer.Ordinal);
        BucketBuilder? any = null;
        var seenHosts = new HashSet<string>(StringComparer.Ordinal);

        foreach (int id in ids)
        {
            RouteModel route = models[id];
            conditions[id] = CompileConditions(route, listenerIndex, listenerNames.Count, regexOptions, regexMatchTimeout);
            byte[] pathKey = route.PathKind is PathMatchKind.Exact or PathMatchKind.Prefix
                ? Encoding.UTF8.GetBytes(route.Path)
                : [];

            if (route.Hosts.Count == 0)
            {
                (any ??= new BucketBuilder()).Add(id, route.PathKind, pathKey);
                continue;
            }

            seenHosts.Clear();
            foreach (string configured in route.Hosts)
            {
                string host = HostName.NormalizeConfigured(configured);
                if (!seenHosts.Add(host))
                {
                    continue;
                }

                bool isWildcard = host.StartsWith("*.", StringComparison.Ordinal);
                // "*.example.org" is keyed by ".example.org": the dot keeps "badexample.org" out.
                string key = isWildcard ? host[1..] : host;
                Dictionary<string, BucketBuilder> map = isWildcard ? wildcard : exact;
                if (!map.TryGetValue(key, out BucketBuilder? bucket))
                {
                    bucket = new BucketBuilder();
                    map.Add(key, bucket);
                }

                bucket.Add(id, route.PathKind, pathKey);
            }
        }

        var trie = new PathTrie.Builder();
        var buckets = new List<Bucket>(exact.Count + wildcard.Count + 1);
        var exactHosts = new Dictionary<string, int>(exact.Count, StringComparer.Ordinal);
        foreach ((string host, BucketBuilder b) in exact)
        {
            exactHosts.Add(host, buckets.Count);
            buckets.Add(b.ToBucket(trie));
        }

        var wildcardHosts = new Dictionary<string, int>(wildcard.Count, StringComparer.Ordinal);
        foreach ((string suffix, BucketBuilder b) in wildcard)
        {
            wildcardHosts.Add(suffix, buckets.Count);
            buckets.Add(b.ToBucket(trie));
        }

        int anyHostBucket = -1;
        if (any is not null)
        {
            anyHostBucket = buckets.Count;
            buckets.Add(any.ToBucket(trie));
        }

        return new RouteTable(
            models, conditions, trie.ToTrie(), [.. buckets], exactHosts, wildcardHosts, anyHostBucket, regexCount != 0);
    }

    private static RouteConditions CompileConditions(
        RouteModel route, Dictionary<string, int> listenerIndex, int listenerCount, RegexOptions regexOptions,
        TimeSpan regexMatchTimeout)
    {
        bool[]? listeners = null;
        if (route.Listeners.Count != 0)
        {
            listeners = new bool[listenerCount];
            foreach (string name in route.Listeners)
            {
                if (listenerIndex.TryGetValue(name, out int index))
                {
                    listeners[index] = true;
                }
            }
        }

        byte[][]? methods = null;
        if (route.Methods.Count != 0)
        {
            methods = new byte[route.Methods.Count][];
            for (int i = 0; i < methods.Length; i++)
            {
                methods[i] = Encoding.ASCII.GetBytes(route.Methods[i]);
            }
        }

        HeaderCondition[]? headers = null;
        if (route.Headers.Count != 0)
        {
            headers = new HeaderCondition[route.Headers.Count];
            for (int i = 0; i < headers.Length; i++)
            {
                (string name, string value) = route.Headers[i];
                headers[i] = new HeaderCondition(
                    Encoding.ASCII.GetBytes(name.ToLowerInvariant()), Encoding.UTF8.GetBytes(value));
            }
        }

        Regex? regex = route.PathKind == PathMatchKind.Regex
            ? new Regex(route.Path, regexOptions, regexMatchTimeout)
            : null;

        return new RouteConditions { Listeners = listeners, Methods = methods, Headers = headers, Regex = regex };
    }

    /// <summary>One host bucket while building; routes are added in file order.</summary>
    private sealed class BucketBuilder
    {
        private PathTrie.BuildNode? _root;
        private List<int>? _regex;
        private List<int>? _any;

        public void Add(int id, PathMatchKind kind, byte[] pathKey)
        {
            switch (kind)
            {
                case PathMatchKind.Exact:
                case PathMatchKind.Prefix:
                    (_root ??= new PathTrie.BuildNode()).Insert(pathKey, kind == PathMatchKind.Prefix, id);
                    break;
                case PathMatchKind.Regex:
                    (_regex ??= []).Add(id);
                    break;
                default:
                    (_any ??= []).Add(id);
                    break;
            }
        }

        public Bucket ToBucket(PathTrie.Builder trie) =>
            new(_root is null ? -1 : trie.Add(_root), _regex?.ToArray() ?? [], _any?.ToArray() ?? []);
    }
}
