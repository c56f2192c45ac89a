using System.Text;
using FastGate.Proxy.Forwarding;

namespace FastGate.Proxy.Stages.Transforms;

/// <summary><c>host_rewrite</c>: the Host sent upstream (a name-based virtual host behind us), checked at load.</summary>
public sealed class HostRewriteStage(string host) : Stage
{
    private readonly byte[] _host = Encoding.ASCII.GetBytes(host);

    public override string Name => "host_rewrite";

    public override StagePhases Phases => StagePhases.RequestHead;

    public override ValueTask<StageOutcome> OnRequestHeadAsync(Exchange exchange)
    {
        exchange.SetUpstreamHost(_host);
        return new(StageOutcome.Continue);
    }
}
