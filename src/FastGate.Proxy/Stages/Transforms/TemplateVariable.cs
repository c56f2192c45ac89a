namespace FastGate.Proxy.Stages.Transforms;

/// <summary>What a <c>${...}</c> in a header value, a redirect location or a host stands for.</summary>
public enum TemplateVariable : byte
{
    /// <summary>Not a variable: the part is literal bytes.</summary>
    None,
    /// <summary><c>${client_ip}</c>: the client's address as text, as X-Forwarded-For shows it.</summary>
    ClientIp,
    /// <summary><c>${consumer}</c>: the consumer's name, empty for an anonymous caller.</summary>
    Consumer,
    /// <summary><c>${request_id}</c>: the exchange's request id, empty unless the route has request_id.</summary>
    RequestId,
    /// <summary><c>${host}</c>: the Host the client sent (with its port, if any).</summary>
    Host,
    /// <summary><c>${path}</c>: the normalized path, without the query.</summary>
    Path,
    /// <summary><c>${query}</c>: the query with its leading '?', or empty.</summary>
    Query,
    /// <summary><c>${method}</c>: the request method.</summary>
    Method,
}
