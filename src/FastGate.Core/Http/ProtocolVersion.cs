namespace FastGate.Core.Http;

public enum ProtocolVersion : byte
{
    Http10,
    Http11,
}
