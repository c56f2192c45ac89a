using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using FastGate.Proxy.Admin;

namespace FastGate.Ai.Metering;

/// <summary>
/// <c>GET /usage</c> on the admin listener: sums of the ledger's records by consumer, model,
/// provider, route or day over a time range (<see cref="UsageQuery"/>). The records still
/// pending are flushed first, so an exchange that ended before the request is counted. The scan
/// runs on the thread pool, off the admin connection's thread.
/// </summary>
public sealed class UsageEndpoint(UsageLedger ledger) : IAdminEndpoint
{
    public string Path => "/usage";

    public async ValueTask<(int Status, string Type, string Body)> GetAsync(string query)
    {
        if (!UsageQuery.TryParse(query, out var parsed, out var error))
        {
            return (400, "application/json", Error(error));
        }
        if (ledger.Path is null)
        {
            return (503, "application/json", Error("no usage ledger is open (no [ai] ledger configured yet)"));
        }
        try
        {
            var report = await Task.Run(() => UsageReport.Build(parsed, ledger.ReadAll())).ConfigureAwait(false);
            return (200, "application/json", report.ToJson());
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return (503, "application/json", Error($"cannot read the usage ledger: {ex.Message}"));
        }
    }

    private static string Error(string message)
    {
        using var stream = new MemoryStream();
        using (var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            json.WriteStartObject();
            json.WriteString("error", message);
            json.WriteEndObject();
        }
        return Encoding.UTF8.GetString(stream.ToArray()) + "\n";
    }
}
