using System.Text;
using FastGate.Ai.Providers;
using FastGate.Proxy.Config;

namespace FastGate.Ai.Models;

/// <summary>
/// A <c>[provider.NAME]</c> as the AI stage uses it on every attempt: its adapter, its cluster's
/// name, the Host it is called by, and its keys taken in turn (round robin across every
/// exchange of the snapshot).
/// </summary>
public sealed class AiProvider
{
    private int _nextKey = -1;

    public AiProvider(ProviderModel model, ProviderAdapter adapter)
    {
        Model = model;
        Adapter = adapter;
        HostUtf8 = Encoding.ASCII.GetBytes(model.BaseUrl.IsDefaultPort ? model.BaseUrl.IdnHost : $"{model.BaseUrl.IdnHost}:{model.BaseUrl.Port}");
    }

    public ProviderModel Model { get; }
    public string Name => Model.Name;
    public ProviderAdapter Adapter { get; }
    /// <summary>The Host field upstream: the base URL's authority (the port only when not the scheme's).</summary>
    public byte[] HostUtf8 { get; }

    /// <summary>The key for the next attempt; empty when the provider has none (a local Ollama).</summary>
    public string NextKey()
    {
        var keys = Model.ApiKeys;
        if (keys.Count == 0)
        {
            return "";
        }
        var turn = (uint)Interlocked.Increment(ref _nextKey);
        return keys[(int)(turn % (uint)keys.Count)];
    }
}
