namespace FastGate.Proxy.Stages;

public enum BodyVerdictKind : byte
{
    /// <summary>Pass the bytes on as they are.</summary>
    Continue,
    /// <summary>Pass all but the last <see cref="BodyVerdict.HoldBack"/> bytes; they are offered again with the next bytes.</summary>
    HoldBack,
    /// <summary>Pass what the stage wrote (for all but a held-back tail, see <see cref="BodyVerdict.ReplaceAndHold"/>) to <see cref="Forwarding.Exchange.Replacement"/> instead of the bytes.</summary>
    Replace,
    /// <summary>End the exchange here: the client's response is cut off.</summary>
    Terminate,
}
