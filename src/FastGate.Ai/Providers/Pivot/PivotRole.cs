namespace FastGate.Ai.Providers.Pivot;

/// <summary>The author of a pivot message (<c>developer</c> is read as <c>system</c>).</summary>
internal enum PivotRole : byte
{
    Unknown,
    System,
    User,
    Assistant,
    Tool,
}
