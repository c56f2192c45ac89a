using FastGate.Proxy.Forwarding.Http2;

namespace FastGate.Proxy.Tests.Http2;

public sealed class Http2GuardTests
{
    [Fact]
    public void OffTheLoops_SectionsOfTwoThreadsNeverOverlap()
    {
        // Without a loop the guard is a lock: a read-modify-write under it loses no update.
        var guard = new Http2Guard(loop: null);
        var count = 0;
        const int PerThread = 200_000;

        void Add()
        {
            for (var i = 0; i < PerThread; i++)
            {
                using (guard.Enter())
                {
                    count++;
                }
            }
        }

        var other = new Thread(Add);
        other.Start();
        Add();
        other.Join();

        Assert.Equal(2 * PerThread, count);
    }

    [Fact]
    public void Section_IsLeft_WhenItEndsByAnException()
    {
        var guard = new Http2Guard(loop: null);

        void FailInside()
        {
            using (guard.Enter())
            {
                throw new InvalidOperationException("inside");
            }
        }

        Assert.Throws<InvalidOperationException>(FailInside);

        // Another thread gets in: the failed section let go.
        var entered = false;
        var other = new Thread(() =>
        {
            using (guard.Enter())
            {
                entered = true;
            }
        });
        other.Start();
        Assert.True(other.Join(TimeSpan.FromSeconds(30)));
        Assert.True(entered);
    }
}
