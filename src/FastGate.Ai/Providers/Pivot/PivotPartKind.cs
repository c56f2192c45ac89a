namespace FastGate.Ai.Providers.Pivot;

/// <summary>The kind of one element of a pivot message's content array.</summary>
internal enum PivotPartKind : byte
{
    Unknown,
    Text,
    ImageUrl,
    InputAudio,
}
