using FastGate.Core.Tls.OpenSsl;

namespace FastGate.Core.Tests.Tls;

public sealed class TlsTicketKeyRingTests
{
    private static readonly TimeSpan Rotation = TimeSpan.FromHours(12);

    /// <summary>A clock the test moves by hand.</summary>
    private sealed class ManualClock : TimeProvider
    {
        private long _now = 1_000_000;

        public override long TimestampFrequency => TimeSpan.TicksPerSecond;

        public override long GetTimestamp() => _now;

        public void Advance(TimeSpan by) => _now += by.Ticks;
    }

    [Fact]
    public void Sealing_WithinARotation_SameKey()
    {
        var clock = new ManualClock();
        var ring = new TlsTicketKeyRing(Rotation, clock);

        var first = ring.Sealing();
        clock.Advance(Rotation - TimeSpan.FromSeconds(1));

        Assert.Same(first, ring.Sealing());
        Assert.Same(first, ring.Opening(first.Name, out var newest));
        Assert.True(newest);
    }

    [Fact]
    public void Sealing_AfterARotation_NewKey_PreviousStillOpensAndAsksForRenewal()
    {
        var clock = new ManualClock();
        var ring = new TlsTicketKeyRing(Rotation, clock);
        var first = ring.Sealing();

        clock.Advance(Rotation);
        var second = ring.Sealing();

        Assert.NotSame(first, second);
        Assert.False(first.Name.SequenceEqual(second.Name));
        Assert.Same(first, ring.Opening(first.Name, out var firstNewest));
        Assert.False(firstNewest);
        Assert.Same(second, ring.Opening(second.Name, out var secondNewest));
        Assert.True(secondNewest);
    }

    [Fact]
    public void Opening_KeyFromTwoRotationsAgo_Refused()
    {
        var clock = new ManualClock();
        var ring = new TlsTicketKeyRing(Rotation, clock);
        var first = ring.Sealing();
        clock.Advance(Rotation);
        var second = ring.Sealing();
        clock.Advance(Rotation);
        var third = ring.Sealing();

        Assert.Null(ring.Opening(first.Name, out _));
        Assert.Same(second, ring.Opening(second.Name, out var newest));
        Assert.False(newest);
        Assert.Same(third, ring.Opening(third.Name, out _));
    }

    [Fact]
    public void Opening_FirstUseAfterALongIdle_TurnsAndRefusesTheOldKey()
    {
        var clock = new ManualClock();
        var ring = new TlsTicketKeyRing(Rotation, clock);
        var first = ring.Sealing();

        // Idle for two rotations: the key's window to open tickets has passed, with no use in between.
        clock.Advance(2 * Rotation);

        Assert.Null(ring.Opening(first.Name, out _));
        Assert.NotSame(first, ring.Sealing());
    }

    [Fact]
    public void Opening_PreviousKeyTwoRotationsOld_Refused()
    {
        var clock = new ManualClock();
        var ring = new TlsTicketKeyRing(Rotation, clock);
        var first = ring.Sealing();
        // A late turn: the first key is already one and a half rotations old when it retires.
        clock.Advance(Rotation * 1.5);
        var second = ring.Sealing();
        Assert.Same(first, ring.Opening(first.Name, out _));

        clock.Advance(Rotation * 0.5);

        Assert.Null(ring.Opening(first.Name, out _));
        Assert.Same(second, ring.Opening(second.Name, out _));
    }

    [Fact]
    public void Opening_UnknownName_Refused()
    {
        var ring = new TlsTicketKeyRing(Rotation, new ManualClock());
        ring.Sealing();

        Assert.Null(ring.Opening(new byte[TlsTicketKey.NameLength], out _));
    }

    [Fact]
    public void Rotation_ChangedByAReload_KeepsTheKeysAndAppliesToTheNextTurn()
    {
        var clock = new ManualClock();
        var ring = new TlsTicketKeyRing(Rotation, clock);
        var first = ring.Sealing();

        ring.Rotation = TimeSpan.FromMinutes(10);
        Assert.Same(first, ring.Sealing());
        clock.Advance(TimeSpan.FromMinutes(10));

        Assert.NotSame(first, ring.Sealing());
        Assert.Equal(TimeSpan.FromMinutes(10), ring.Rotation);
    }

    [Fact]
    public void Keys_AreRandomAndNeverPrinted()
    {
        var ring = new TlsTicketKeyRing(Rotation, new ManualClock());
        var one = new TlsTicketKey(0);
        var two = new TlsTicketKey(0);

        Assert.False(one.Name.SequenceEqual(two.Name));
        Assert.Equal("TlsTicketKey", one.ToString());
        Assert.Throws<ArgumentOutOfRangeException>(() => ring.Rotation = TimeSpan.Zero);
    }
}
