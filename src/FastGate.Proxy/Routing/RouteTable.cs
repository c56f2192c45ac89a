using System.Buffers;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.RegularExpressions;
using FastGate.Proxy.Config;

namespace FastGate.Proxy.Routing;

/// <summary>
/// The routes of one config snapshot compiled for matching. Immutable and safe to share between
/// threads; <see cref="Match"/> allocates nothing and its cost depends on the lengths of the host
/// and path, not on the number of routes. The rules are in the folder's README.md.
/// </summary>
/// <remarks>
/// Order of candidates for a request:
/// <list type="number">
/// <item>Host buckets: the exact host, then wildcard hosts from the longest suffix to the shortest
/// (<c>*.example.org</c> matches <c>a.example.org</c> and <c>a.b.example.org</c>, not
/// <c>example.org</c>), then the routes without a host condition. A bucket with no route that
/// accepts the request falls through to the next.</item>
/// <item>Within a bucket: the exact path, then matching prefixes from the longest to the shortest,
/// then regex routes in file order, then routes without a path condition. Routes at the same spot
/// are tried in file order.</item>
/// <item>A candidate must also pass its listener, method and header conditions; if it does not, the
/// next candidate is tried.</item>
/// </list>
/// Paths are compared as the bytes sent: no percent-decoding, no dot-segment removal. A
/// configured path is compared as its UTF-8 bytes; regexes see the path decoded as UTF-8.
/// </remarks>
public sealed partial class RouteTable
{
    // DNS names are at most 253 characters, so a host key fits on the stack in practice.
    private const int StackHostChars = 256;
    private const int StackPathChars = 512;

    private readonly RouteModel[] _routes;
    private readonly RouteConditions[] _conditions;
    private readonly PathTrie _trie;
    private readonly Bucket[] _buckets;
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _exactHosts;
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _wildcardHosts;
    private readonly int _wildcardCount;
    private readonly int _anyHostBucket;
    private readonly int _maxHostLength;
    private readonly int _minWildcardSuffix;
    private readonly int _maxWildcardSuffix;
    private readonly bool _hasRegex;

    /// <summary>The routes as given to <see cref="Build"/>; a route's index is its id.</summary>
    public IReadOnlyList<RouteModel> Routes => _routes;

    /// <summary>
    /// Finds the route for a request.
    /// </summary>
    /// <param name="listenerIndex">Index into the listener names given to <see cref="Build"/> of the
    /// listener the request arrived on.</param>
    /// <param name="host">The Host (or :authority) value as received: any case, maybe with a port,
    /// a trailing dot or an IPv6 literal in brackets. Empty matches only routes without a host
    /// condition.</param>
    /// <param name="path">The path bytes as received, without the query. Not decoded.</param>
    /// <param name="method">The method token.</param>
    /// <param name="headers">The request's header fields, read only for routes with header
    /// conditions.</param>
    /// <returns>The index into <see cref="Routes"/> of the first accepting route, or -1.</returns>
    // Scratch buffers are written before they are read; zeroing 1.5 KB of stack per call is waste.
    [SkipLocalsInit]
    public int Match<THeaders>(int listenerIndex, ReadOnlySpan<byte> host, ReadOnlySpan<byte> path, ReadOnlySpan<byte> method, ref THeaders headers)
        where THeaders : struct, IRequestHeaderLookup, allows ref struct
    {
        var request = new Request(listenerIndex, path, method);
        char[]? rentedPath = null;
        scoped Span<char> pathChars = default;
        if (_hasRegex)
        {
            // Regexes match on chars; the path is decoded once, on the first regex candidate.
            pathChars = path.Length <= StackPathChars
                ? stackalloc char[StackPathChars]
                : (rentedPath = ArrayPool<char>.Shared.Rent(path.Length));
        }

        char[]? rentedHost = null;
        ReadOnlySpan<byte> name = HostName.Trim(host);
        bool wholeHost = name.Length <= _maxHostLength;
        if (!wholeHost)
        {
            // Longer than every exact name: only a wildcard suffix can match, and that lies in the
            // last (longest suffix + 1) bytes, so a huge Host costs no more than a short one.
            name = _wildcardCount != 0 && name[0] != (byte)'[' ? name[^(_maxWildcardSuffix + 1)..] : default;
        }

        scoped Span<char> hostChars = default;
        if (!name.IsEmpty)
        {
            hostChars = name.Length <= StackHostChars
                ? stackalloc char[StackHostChars]
                : (rentedHost = ArrayPool<char>.Shared.Rent(name.Length));
            // A host that is not ASCII equals no configured name (those are ASCII, IDNA-encoded).
            hostChars = Ascii.ToLower(name, hostChars, out int written) == OperationStatus.Done
                ? hostChars[..written]
                : default;
        }

        try
        {
            return MatchHost(hostChars, wholeHost, pathChars, ref request, ref headers);
        }
        finally
        {
            if (rentedPath is not null)
            {
                ArrayPool<char>.Shared.Return(rentedPath);
            }

            if (rentedHost is not null)
            {
                ArrayPool<char>.Shared.Return(rentedHost);
            }
        }
    }

    /// <param name="host">The lower-cased host name, or only its tail when <paramref name="wholeHost"/>
    /// is false (then it is longer than every exact name and only wildcards are looked up).</param>
    private int MatchHost<THeaders>(scoped ReadOnlySpan<char> host, bool wholeHost, scoped Span<char> pathChars, ref Request request, ref THeaders headers)
        where THeaders : struct, IRequestHeaderLookup, allows ref struct
    {
        int result;
        if (!host.IsEmpty)
        {
            int bucket;
            if (wholeHost
                && _exactHosts.TryGetValue(host, out bucket)
                && (result = MatchBucket(bucket, pathChars, ref request, ref headers)) >= 0)
            {
                return result;
            }

            if (_wildcardCount != 0 && host[0] != '[')
            {
                // Each dot after the first label starts a candidate suffix; the leftmost is the
                // longest, so wildcard buckets are tried longest first.
                int first = Math.Max(1, host.Length - _maxWildcardSuffix);
                int last = host.Length - _minWildcardSuffix;
                for (int i = first; i <= last; i++)
                {
                    if (host[i] == '.'
                        && _wildcardHosts.TryGetValue(host[i..], out bucket)
                        && (result = MatchBucket(bucket, pathChars, ref request, ref headers)) >= 0)
                    {
                        return result;
                    }
                }
            }
        }

        return _anyHostBucket >= 0 ? MatchBucket(_anyHostBucket, pathChars, ref request, ref headers) : -1;
    }

    private int MatchBucket<THeaders>(int bucketIndex, scoped Span<char> pathChars, ref Request request, ref THeaders headers)
        where THeaders : struct, IRequestHeaderLookup, allows ref struct
    {
        ref readonly Bucket bucket = ref _buckets[bucketIndex];
        int result;
        if (bucket.Root >= 0)
        {
            _trie.Walk(bucket.Root, request.Path, out int exactNode, out int prefixNode);
            if (exactNode >= 0
                && (result = FirstAccepted(_trie.ExactRoutes(exactNode), ref request, ref headers)) >= 0)
            {
                return result;
            }

            for (int node = prefixNode; node >= 0; node = _trie.PrefixParent(node))
            {
                if ((result = FirstAccepted(_trie.PrefixRoutes(node), ref request, ref headers)) >= 0)
                {
                    return result;
                }
            }
        }

        foreach (int id in bucket.RegexRoutes)
        {
            // The cheap conditions first: a regex runs only for a route that could otherwise take the request.
            if (Accepts(id, ref request, ref headers) && IsRegexMatch(id, pathChars, ref request))
            {
                return id;
            }
        }

        return FirstAccepted(bucket.AnyRoutes, ref request, ref headers);
    }

    private int FirstAccepted<THeaders>(ReadOnlySpan<int> ids, ref Request request, ref THeaders headers)
        where THeaders : struct, IRequestHeaderLookup, allows ref struct
    {
        foreach (int id in ids)
        {
            if (Accepts(id, ref request, ref headers))
            {
                return id;
            }
        }

        return -1;
    }

    private bool Accepts<THeaders>(int id, ref Request request, ref THeaders headers)
        where THeaders : struct, IRequestHeaderLookup, allows ref struct
    {
        ref readonly RouteConditions c = ref _conditions[id];
        if (c.Listeners is { } listeners
            && ((uint)request.ListenerIndex >= (uint)listeners.Length || !listeners[request.ListenerIndex]))
        {
            return false;
        }

        if (c.Methods is { } methods)
        {
            bool any = false;
            foreach (byte[] m in methods)
            {
                if (request.Method.SequenceEqual(m))
                {
                    any = true;
                    break;
                }
            }

            if (!any)
            {
                return false;
            }
        }

        if (c.Headers is { } conditions)
        {
            foreach (HeaderCondition h in conditions)
            {
                if (!headers.TryGetValue(h.Name, out ReadOnlySpan<byte> value) || !value.SequenceEqual(h.Value))
                {
                    return false;
                }
            }
        }

        return true;
    }

    private bool IsRegexMatch(int id, scoped Span<char> pathChars, ref Request request)
    {
        if (request.PathCharCount < 0)
        {
            request.PathCharCount = Encoding.UTF8.GetChars(request.Path, pathChars);
        }

        try
        {
            return _conditions[id].Regex!.IsMatch(pathChars[..request.PathCharCount]);
        }
        catch (RegexMatchTimeoutException)
        {
            // A pattern that backtracks past its time budget on this path does not match it;
            // the request goes on to the next candidate rather than failing.
            return false;
        }
    }

    /// <summary>What one <see cref="Match"/> call carries between buckets.</summary>
    private ref struct Request(int listenerIndex, ReadOnlySpan<byte> path, ReadOnlySpan<byte> method)
    {
        public readonly int ListenerIndex = listenerIndex;
        public readonly ReadOnlySpan<byte> Path = path;
        public readonly ReadOnlySpan<byte> Method = method;
        public int PathCharCount = -1;
    }

    /// <summary>The routes for one host key (or for any host).</summary>
    private readonly struct Bucket(int root, int[] regexRoutes, int[] anyRoutes)
    {
        /// <summary>Root of the bucket's exact/prefix trie, or -1 when it has none.</summary>
        public readonly int Root = root;
        public readonly int[] RegexRoutes = regexRoutes;
        public readonly int[] AnyRoutes = anyRoutes;
    }
}
