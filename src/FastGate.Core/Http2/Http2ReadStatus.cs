namespace FastGate.Core.Http2;

/// <summary>What <see cref="Http2FrameReader.TryRead"/> found at the start of the input.</summary>
public enum Http2ReadStatus
{
    /// <summary>A whole frame: its header and payload are out, and <c>consumed</c> says how far it reached.</summary>
    Frame,
    /// <summary>Not a whole frame yet.</summary>
    NeedMoreData,
    /// <summary>The header announces a payload larger than the SETTINGS_MAX_FRAME_SIZE this side allows (FRAME_SIZE_ERROR).</summary>
    FrameTooLarge,
}
