using FastGate.Core.Buffers;
using FastGate.Proxy.Forwarding;

namespace FastGate.Proxy.Stages;

/// <summary>The chain's side of <see cref="Stage.OnUpstreamFailed"/>, <see cref="Stage.OnResponseEnd"/> and drains.</summary>
public sealed partial class StageChain
{
    private readonly Stage[] _upstreamFailed;
    private readonly Stage[] _responseEnd;

    public bool HasUpstreamFailed => _upstreamFailed.Length > 0;
    public bool HasResponseEnd => _responseEnd.Length > 0;

    /// <summary>The stage that reads a response to its end after the client left; null when none asks.</summary>
    public Stage? DrainStage { get; }

    /// <summary>Runs the upstream-failed phase: the first stage that does not Continue decides.</summary>
    public StageOutcome RunUpstreamFailed(Exchange exchange, int status)
    {
        foreach (var stage in _upstreamFailed)
        {
            var outcome = stage.OnUpstreamFailed(exchange, status);
            if (outcome != StageOutcome.Continue)
            {
                return outcome;
            }
        }
        return StageOutcome.Continue;
    }

    /// <summary>
    /// Tells the stages that watch for it that the upstream's body ended; what they write goes to
    /// <paramref name="output"/>, in route order. Returns false when a stage terminated.
    /// </summary>
    public bool RunResponseEnd(Exchange exchange, bool complete, PooledByteBuffer output)
    {
        foreach (var stage in _responseEnd)
        {
            exchange.Replacement.Clear();
            var verdict = stage.OnResponseEnd(exchange, complete);
            switch (verdict.Kind)
            {
                case BodyVerdictKind.Terminate:
                    return false;
                case BodyVerdictKind.Replace:
                    output.Write(exchange.Replacement.WrittenSpan);
                    break;
            }
        }
        exchange.Replacement.Clear();
        return true;
    }

    private static (Stage[] End, Stage? Drain) SelectEndStages(IReadOnlyList<Stage> stages)
    {
        List<Stage>? end = null;
        Stage? drain = null;
        foreach (var stage in stages)
        {
            if ((stage.Phases & (StagePhases.ResponseBody | StagePhases.ResponseEvents)) == 0)
            {
                continue;
            }
            if (stage.ObservesResponseEnd)
            {
                (end ??= []).Add(stage);
            }
            if (stage.ReadsToEndAfterClientLeft)
            {
                drain ??= stage;
            }
        }
        return (end is null ? [] : end.ToArray(), drain);
    }
}
