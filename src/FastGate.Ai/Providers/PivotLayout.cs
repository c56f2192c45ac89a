namespace FastGate.Ai.Providers;

/// <summary>
/// Where the top-level members an OpenAI-kind request writer replaces (model, stream, stream_options) lie in a
/// pivot, found by the front that wrote the pivot during the reader pass it makes anyway. With it the writer
/// copies everything else as byte ranges instead of tokenising the body a second time.
/// <para>
/// <see cref="Known"/> only when such a copy gives the same bytes as a member-by-member rewrite: the pivot is one
/// JSON object already read as valid, with no white space between its top-level tokens, every top-level name
/// plain (no escapes, nothing a JSON writer would escape), and each of the three members at most once. A range's
/// <c>Start</c> is its name's opening quote and its <c>End</c> the byte after its value; an absent member has
/// <c>End</c> 0.
/// </para>
/// </summary>
public struct PivotLayout
{
    public bool Known;
    /// <summary>The object's <c>{</c> and <c>}</c>.</summary>
    public int ObjectStart;
    public int ObjectEnd;
    public int ModelStart;
    public int ModelEnd;
    public int StreamStart;
    public int StreamEnd;
    public int StreamOptionsStart;
    public int StreamOptionsEnd;

    /// <summary>The layout still describes <paramref name="pivot"/> (a cheap guard against facts paired with another body).</summary>
    public readonly bool Fits(ReadOnlySpan<byte> pivot) =>
        Known && (uint)ObjectEnd < (uint)pivot.Length && ObjectStart < ObjectEnd
        && pivot[ObjectStart] == (byte)'{' && pivot[ObjectEnd] == (byte)'}'
        && ModelEnd <= ObjectEnd && StreamEnd <= ObjectEnd && StreamOptionsEnd <= ObjectEnd;

    /// <summary>
    /// A top-level name a JSON writer writes as it is: ASCII letters, digits and <c>_ - .</c>. Anything else
    /// (escapes, controls, quotes, non-ASCII the writer may escape) leaves the layout unknown.
    /// </summary>
    public static bool IsPlainName(ReadOnlySpan<byte> name)
    {
        foreach (var b in name)
        {
            if (!((uint)((b | 0x20) - 'a') <= 'z' - 'a' || (uint)(b - '0') <= 9 || b is (byte)'_' or (byte)'-' or (byte)'.'))
            {
                return false;
            }
        }
        return true;
    }
}
