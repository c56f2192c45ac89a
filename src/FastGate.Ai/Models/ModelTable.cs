using System.Buffers;
using System.Text;
using FastGate.Ai.Json;
using FastGate.Ai.Providers;
using FastGate.Proxy.Config;

namespace FastGate.Ai.Models;

/// <summary>
/// The <c>[[model]]</c> table of one snapshot: what a client may ask for and where it goes. A
/// name the client sends is matched on its UTF-8 bytes without a string: exact names first, then
/// <c>*</c> patterns, each in file order. Immutable; shared by every exchange of the snapshot.
/// </summary>
public sealed class ModelTable
{
    private readonly ModelEntry[] _exact;
    private readonly ModelEntry[] _patterns;

    public ModelTable(ConfigModel config, AiCodecs codecs)
    {
        var providers = new Dictionary<string, AiProvider>(StringComparer.Ordinal);
        foreach (var (name, provider) in config.Providers)
        {
            providers[name] = new AiProvider(provider, codecs.Adapter(provider.Kind));
        }
        Providers = providers;
        var exact = new List<ModelEntry>();
        var patterns = new List<ModelEntry>();
        foreach (var model in config.Models)
        {
            var targets = new ModelTarget[model.Targets.Count];
            for (var i = 0; i < targets.Length; i++)
            {
                var target = model.Targets[i];
                targets[i] = new ModelTarget(providers[target.Provider], target.Model == "*" ? null : Encoding.UTF8.GetBytes(target.Model), target.Model);
            }
            var entry = new ModelEntry(model, Encoding.UTF8.GetBytes(model.Name), targets);
            (model.Name.Contains('*') ? patterns : exact).Add(entry);
        }
        _exact = [.. exact];
        _patterns = [.. patterns];
        ListJson = WriteList(_exact);
    }

    public IReadOnlyDictionary<string, AiProvider> Providers { get; }

    /// <summary>GET /v1/models: the exact names, in OpenAI's list shape.</summary>
    public byte[] ListJson { get; }

    /// <summary>The entry for the name a client asked for; null when none matches.</summary>
    public ModelEntry? Find(ReadOnlySpan<byte> name)
    {
        foreach (var entry in _exact)
        {
            if (name.SequenceEqual(entry.NameUtf8))
            {
                return entry;
            }
        }
        foreach (var entry in _patterns)
        {
            if (Glob.Matches(entry.NameUtf8, name))
            {
                return entry;
            }
        }
        return null;
    }

    private static byte[] WriteList(ModelEntry[] entries)
    {
        var output = new ArrayBufferWriter<byte>();
        var json = JsonWriters.For(output);
        json.WriteStartObject();
        json.WriteString("object"u8, "list"u8);
        json.WriteStartArray("data"u8);
        foreach (var entry in entries)
        {
            json.WriteStartObject();
            json.WriteString("id"u8, entry.Model.Name);
            json.WriteString("object"u8, "model"u8);
            json.WriteNumber("created"u8, 0);
            json.WriteString("owned_by"u8, entry.Targets[0].Provider.Name);
            json.WriteEndObject();
        }
        json.WriteEndArray();
        json.WriteEndObject();
        json.Flush();
        return output.WrittenSpan.ToArray();
    }
}
