namespace FastGate.Proxy.Forwarding;

/// <summary>How the plain path copies a chunked event stream to a chunked client.</summary>
internal enum ChunkRelayMode : byte
{
    /// <summary>Not relayed: the body reader decodes and the client's chunks are framed anew.</summary>
    Off,
    /// <summary>The upstream's chunks go to the client as they came, validated on the way.</summary>
    Pass,
    /// <summary>Relayed until a drain needed a cut inside a chunk; from a chunk start on, decoded and framed anew.</summary>
    Decode,
}
