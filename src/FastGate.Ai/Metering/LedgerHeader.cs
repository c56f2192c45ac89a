namespace FastGate.Ai.Metering;

/// <summary>What the first bytes of a ledger file say.</summary>
public enum LedgerHeader : byte
{
    /// <summary>The file is empty: a new ledger.</summary>
    Empty,
    /// <summary>Magic and a version this build reads.</summary>
    Valid,
    /// <summary>Fewer bytes than a header, all of them a header's start: a crash while the file was created.</summary>
    Torn,
    /// <summary>The magic is missing: some other file, never written to.</summary>
    NotALedger,
    /// <summary>A ledger of another format version.</summary>
    UnknownVersion,
}
