namespace FastGate.Proxy.Forwarding;

public enum HeaderEditKind : byte
{
    /// <summary>Replace every field of the name with this one.</summary>
    Set,
    /// <summary>Add a field, keeping those already there.</summary>
    Add,
    /// <summary>Drop every field of the name.</summary>
    Remove,
}
