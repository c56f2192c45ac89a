using System.Text;
using FastGate.Proxy.Config;
using FastGate.Proxy.Forwarding;

namespace FastGate.Proxy.Stages.Transforms;

/// <summary>
/// <c>direct_response</c>: every request of the route gets the configured status, type and body
/// from the request-head phase (a health endpoint, a robots.txt, a maintenance page); nothing goes
/// upstream. The front leaves the body out for HEAD.
/// </summary>
public sealed class DirectResponseStage(DirectResponseModel model) : Stage
{
    private readonly byte[] _body = Encoding.UTF8.GetBytes(model.Body);
    private readonly byte[] _contentType = Encoding.ASCII.GetBytes(model.ContentType);
    private readonly int _status = model.Status;

    public override string Name => "direct_response";

    public override StagePhases Phases => StagePhases.RequestHead;

    public override ValueTask<StageOutcome> OnRequestHeadAsync(Exchange exchange) =>
        new(exchange.Answer(_status, _body, _contentType));
}
