namespace FastGate.Proxy.Admin;

/// <summary>
/// A read-only admin path served beside the built-in ones (the AI gateway's <c>GET /usage</c>),
/// added with <see cref="AdminConnectionHandler.Add"/>. It answers GET and HEAD; other methods get
/// 405. It runs on the admin path: it may allocate and take its time, never on a loop thread.
/// </summary>
public interface IAdminEndpoint
{
    /// <summary>The exact path, e.g. <c>/usage</c>.</summary>
    string Path { get; }

    /// <param name="query">The raw query string after '?', still percent-encoded; empty when none.</param>
    ValueTask<(int Status, string Type, string Body)> GetAsync(string query);
}
