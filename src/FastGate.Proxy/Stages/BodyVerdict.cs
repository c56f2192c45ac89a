namespace FastGate.Proxy.Stages;

/// <summary>A body phase's answer for the bytes it was shown.</summary>
public readonly struct BodyVerdict
{
    private BodyVerdict(BodyVerdictKind kind, int holdBack)
    {
        Kind = kind;
        HoldBack = holdBack;
    }

    public BodyVerdictKind Kind { get; }
    /// <summary>For <see cref="BodyVerdictKind.HoldBack"/>: how many bytes at the end to keep back.</summary>
    public int HoldBack { get; }

    public static BodyVerdict Continue => default;
    public static BodyVerdict Replace => new(BodyVerdictKind.Replace, 0);
    public static BodyVerdict Terminate => new(BodyVerdictKind.Terminate, 0);
    public static BodyVerdict Hold(int bytes) => bytes <= 0 ? default : new(BodyVerdictKind.HoldBack, bytes);

    /// <summary>Pass the replacement for the bytes shown except the last <paramref name="bytes"/>, which are offered again next time (a match that may continue).</summary>
    public static BodyVerdict ReplaceAndHold(int bytes) => new(BodyVerdictKind.Replace, Math.Max(0, bytes));
}
