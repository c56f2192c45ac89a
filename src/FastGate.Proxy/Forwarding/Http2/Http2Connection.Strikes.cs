using System.Diagnostics;
using FastGate.Core.Http2;

namespace FastGate.Proxy.Forwarding.Http2;

/// <summary>
/// Defenses across connections of one client address (<see cref="Http2AddressStrikes"/>): a
/// connection a defense ended gives its address a strike, and an address past its strikes has its
/// new connections refused before anything of theirs is decoded. Also the per-connection cap on
/// 431 answers: each costs a full HPACK decode of a block built to blow up, so a connection that
/// keeps sending them is ended like any other flood.
/// </summary>
public sealed partial class Http2Connection
{
    /// <summary>431 answers (header lists decoding past max_header_list_size) a connection may earn before it is ended.</summary>
    private const int MaxHeaderListRefusals = 8;

    private int _headerListRefusals;
    private bool _struck;
    // The defense that ended the connection, for its log line.
    private Http2DefenseKind? _defense;

    /// <summary>
    /// A header block decoded past max_header_list_size was answered 431: past
    /// <see cref="MaxHeaderListRefusals"/> on the connection, it ends (GOAWAY ENHANCE_YOUR_CALM,
    /// counted as header_list again).
    /// </summary>
    private Http2ErrorCode OnHeaderListRefused() =>
        ++_headerListRefusals > MaxHeaderListRefusals ? Calm(Http2DefenseKind.HeaderList) : Http2ErrorCode.NoError;

    /// <summary>A defense ends this connection: its address earns a strike (once per connection).</summary>
    private void StrikeAddress()
    {
        if (_struck || _settings.MaxDefenseStrikesPerAddress == 0)
        {
            return;
        }
        _struck = true;
        Http2AddressStrikes.Shared.Strike(_clientAddress, Stopwatch.GetTimestamp(), _settings.MaxDefenseStrikesPerAddress,
            Http2AddressStrikes.Ticks(_settings.DefenseStrikeWindow));
    }

    /// <summary>
    /// Before the preface is read: an address past its strikes gets GOAWAY(ENHANCE_YOUR_CALM)
    /// right after our SETTINGS, and the connection closes; true when it was refused.
    /// </summary>
    private bool RefuseStruckAddress()
    {
        if (_settings.MaxDefenseStrikesPerAddress == 0
            || !Http2AddressStrikes.Shared.IsBlocked(_clientAddress, Stopwatch.GetTimestamp(), _settings.MaxDefenseStrikesPerAddress,
                Http2AddressStrikes.Ticks(_settings.DefenseStrikeWindow)))
        {
            return false;
        }
        _metrics.Defense(Http2DefenseKind.AddressBlocked);
        GoAway(Http2ErrorCode.EnhanceYourCalm);
        return true;
    }
}
