namespace FastGate.Core.Http2;

/// <summary>Frame flags; which ones mean something depends on the frame type.</summary>
[Flags]
public enum Http2Flags : byte
{
    None = 0x0,
    EndStream = 0x1,
    Ack = 0x1,
    EndHeaders = 0x4,
    Padded = 0x8,
    Priority = 0x20,
}
