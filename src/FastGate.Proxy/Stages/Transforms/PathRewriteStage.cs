using System.Buffers;
using System.Text;
using System.Text.RegularExpressions;
using FastGate.Core.Http;
using FastGate.Proxy.Config;
using FastGate.Proxy.Forwarding;

namespace FastGate.Proxy.Stages.Transforms;

/// <summary>
/// <c>rewrite</c> of a route: the path sent upstream, with the client's query kept. A prefix rewrite
/// replaces the route's matched prefix and allocates nothing. A regex rewrite replaces every match
/// in the path (captures as $1, like Envoy's regex_rewrite); it allocates the path string and the
/// result when the pattern matches, because .NET's Regex substitutes only into strings. A path it
/// does not match goes upstream unchanged.
/// </summary>
public sealed class PathRewriteStage : Stage
{
    // The same bound as path_regex routes (Routing/README.md): a backtracking pattern must not
    // stall a connection loop.
    private static readonly TimeSpan MatchTimeout = TimeSpan.FromMilliseconds(50);
    private const int StackLimit = 512;

    private readonly byte[] _matchedPrefix;
    private readonly byte[] _prefix;
    private readonly Regex? _regex;
    private readonly string _replacement;
    private readonly StageServices _services;

    public PathRewriteStage(PathRewriteModel model, StageServices services)
    {
        _services = services;
        _matchedPrefix = Encoding.UTF8.GetBytes(model.MatchedPrefix);
        _prefix = model.Prefix is null ? [] : Encoding.UTF8.GetBytes(model.Prefix);
        _regex = model.Regex is null ? null : new Regex(model.Regex, RegexOptions.CultureInvariant, MatchTimeout);
        _replacement = model.Replacement;
    }

    public override string Name => "rewrite";

    public override StagePhases Phases => StagePhases.RequestHead;

    public override ValueTask<StageOutcome> OnRequestHeadAsync(Exchange exchange) =>
        new(_regex is null ? RewritePrefix(exchange) : RewriteRegex(exchange, _regex));

    private StageOutcome RewritePrefix(Exchange exchange)
    {
        var path = exchange.Request.Path;
        if (!path.StartsWith(_matchedPrefix))
        {
            return StageOutcome.Continue;
        }
        var rest = path[_matchedPrefix.Length..];
        var query = exchange.Request.Query;
        var length = _prefix.Length + rest.Length + query.Length;
        byte[]? rented = null;
        var buffer = length <= StackLimit ? stackalloc byte[StackLimit] : (rented = ArrayPool<byte>.Shared.Rent(length));
        _prefix.CopyTo(buffer);
        rest.CopyTo(buffer[_prefix.Length..]);
        query.CopyTo(buffer[(_prefix.Length + rest.Length)..]);
        exchange.SetUpstreamTarget(buffer[..length]);
        if (rented is not null)
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
        return StageOutcome.Continue;
    }

    private StageOutcome RewriteRegex(Exchange exchange, Regex regex)
    {
        var path = exchange.Request.Path;
        string rewritten;
        // The path is ASCII (the parser takes visible ASCII targets only), so Latin-1 widens it
        // byte for byte; IsMatch on a span lets a path the pattern misses cost no allocation.
        char[]? rentedChars = null;
        var chars = path.Length <= StackLimit ? stackalloc char[StackLimit] : (rentedChars = ArrayPool<char>.Shared.Rent(path.Length));
        try
        {
            chars = chars[..Encoding.Latin1.GetChars(path, chars)];
            if (!regex.IsMatch(chars))
            {
                return StageOutcome.Continue;
            }
            rewritten = regex.Replace(new string(chars), _replacement);
        }
        catch (RegexMatchTimeoutException)
        {
            return TransformRefusalLog.Refuse(_services, exchange, Name, "a path the pattern took too long on", 500);
        }
        finally
        {
            if (rentedChars is not null)
            {
                ArrayPool<char>.Shared.Return(rentedChars);
            }
        }

        var query = exchange.Request.Query;
        var target = new byte[Encoding.UTF8.GetByteCount(rewritten) + query.Length];
        var written = Encoding.UTF8.GetBytes(rewritten, target);
        query.CopyTo(target.AsSpan(written));
        var newPath = target.AsSpan(0, written);
        if (newPath.IsEmpty || newPath[0] != (byte)'/' || newPath.ContainsAnyExcept(HttpChars.TargetChar) || newPath.Contains((byte)'?'))
        {
            return TransformRefusalLog.Refuse(_services, exchange, Name, "a rewritten path that is not an absolute path", 500);
        }
        exchange.SetUpstreamTarget(target);
        return StageOutcome.Continue;
    }
}
