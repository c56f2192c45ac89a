namespace FastGate.Proxy.Config;

/// <summary><c>direct_response</c> of a route: a fixed answer, nothing goes upstream.</summary>
public sealed record DirectResponseModel
{
    public int Status { get; init; } = 200;
    public string Body { get; init; } = "";
    /// <summary>Empty when the body is empty and no type was given.</summary>
    public string ContentType { get; init; } = "";
}
