using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using FastGate.Functional.Tests.Infrastructure;
using Xunit.Abstractions;

namespace FastGate.Functional.Tests;

/// <summary>
/// The slow-client load: 1,000 connections trickling a request head or a request body a
/// byte every few seconds (and coming back when cut, as an attacker would) while normal clients
/// go on. Bounded: about 20 s, loopback only, everything stops by itself.
/// <para>
/// The normal clients are paced (each request has its time on a fixed schedule, late ones are sent
/// at once) rather than run flat out: on a shared 2-core box a flat-out rate swings by a quarter
/// from one few-second window to the next with whatever else runs, which would make a 90 %
/// threshold a coin toss. What the trickle attacks is the gateway's connections, workers and
/// buffers, so the question is whether the gateway still serves the normal clients' rate on time
/// with 1,000 tricklers on it; a schedule of a few hundred requests a second answers it with a
/// sample of thousands per phase and leaves the machine's spare CPU out of the ratio.
/// </para>
/// </summary>
[Collection(OwnGatewayCollection.Name)]
public sealed class SlowClientLoadTests(UpstreamsFixture upstreams, ITestOutputHelper output)
{
    private const int Tricklers = 1000;
    // Per worker: 25 requests a second, 400 in all. Each worker waits for its answer before its
    // next request, so a worker falls behind its schedule once a request takes longer than its
    // interval; 40 ms leaves room for a loaded CI box's scheduling delays, which are the test
    // machine's and not the gateway's.
    private const int Workers = 16;
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(40);
    private static readonly TimeSpan Phase = TimeSpan.FromSeconds(6);
    // Every trickler sends a byte this often: far below any minimum rate.
    private static readonly TimeSpan TrickleEvery = TimeSpan.FromMilliseconds(2500);

    [Fact]
    public async Task Trickle_ThousandSlowHeadsAndBodies_NormalClientsKeepNinetyPercentOfTheirRate_AndTricklersAreCutAndCounted()
    {
        await using var gateway = await FastGateProcess.StartAsync(UpstreamsFixture.SimpleConfig(
            upstreams.A.Address, defaults: "header_timeout = \"4s\"\nmin_rate_window = \"2s\""));
        using var http = Clients.Http11(gateway.BaseUri);
        using var stopLoad = new CancellationTokenSource();
        var completions = new List<long>[Workers];
        var failures = 0;
        var load = new Task[Workers];
        for (var w = 0; w < Workers; w++)
        {
            var mine = completions[w] = new List<long>(20_000);
            load[w] = Task.Run(async () =>
            {
                var next = Stopwatch.GetTimestamp();
                var step = (long)(Interval.TotalSeconds * Stopwatch.Frequency);
                while (!stopLoad.IsCancellationRequested)
                {
                    var wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), next);
                    if (wait > TimeSpan.Zero)
                    {
                        await Task.Delay(wait);
                    }
                    next += step;
                    try
                    {
                        using var response = await http.GetAsync("/status/200");
                        if (response.StatusCode == HttpStatusCode.OK)
                        {
                            lock (mine)
                            {
                                mine.Add(Stopwatch.GetTimestamp());
                            }
                            continue;
                        }
                    }
                    catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
                    {
                    }
                    Interlocked.Increment(ref failures);
                }
            });
        }

        // Warm-up (JIT, connection pools), then the baseline.
        await Task.Delay(TimeSpan.FromSeconds(2));
        var baselineStart = Stopwatch.GetTimestamp();
        await Task.Delay(Phase);
        var baselineEnd = Stopwatch.GetTimestamp();

        await using var trickle = new Trickle(gateway.Port);
        await trickle.OpenAllAsync();
        var trickleStart = Stopwatch.GetTimestamp();
        await Task.Delay(Phase);
        var trickleEnd = Stopwatch.GetTimestamp();
        var cutWhileMeasured = trickle.Cuts;

        stopLoad.Cancel();
        trickle.StopSending();
        await Task.WhenAll(load);

        var baseline = Count(completions, baselineStart, baselineEnd) / Stopwatch.GetElapsedTime(baselineStart, baselineEnd).TotalSeconds;
        var underTrickle = Count(completions, trickleStart, trickleEnd) / Stopwatch.GetElapsedTime(trickleStart, trickleEnd).TotalSeconds;
        output.WriteLine($"normal clients: {baseline:0} req/s without the trickle, {underTrickle:0} req/s with {Tricklers} tricklers ({underTrickle / baseline:P1}); failures {failures}; tricklers cut while measured {cutWhileMeasured}, reconnects {trickle.Reconnects}");
        Assert.True(baseline > 0);
        // The clients' rate is the schedule's: a baseline above it is catch-up after a warm-up stall.
        var scheduled = Workers / Interval.TotalSeconds;
        Assert.True(underTrickle >= 0.9 * Math.Min(baseline, scheduled), $"normal clients fell to {underTrickle:0} req/s from {baseline:0} req/s under the trickle");
        Assert.Equal(0, failures);

        // Every trickler the gateway still holds is cut by header_timeout (4 s) or the body rate (2 s windows).
        var patience = Stopwatch.StartNew();
        string metrics;
        double heads, bodies;
        do
        {
            await Task.Delay(250);
            metrics = await gateway.MetricsAsync();
            heads = FastGateProcess.Metric(metrics, "fastgate_slow_clients_total{listener=\"web\",reason=\"request_head\"}");
            bodies = FastGateProcess.Metric(metrics, "fastgate_slow_clients_total{listener=\"web\",reason=\"request_body_rate\"}");
        }
        while ((heads < Tricklers / 2 || bodies < Tricklers / 2 || trickle.Open > 0) && patience.Elapsed < TimeSpan.FromSeconds(20));
        output.WriteLine($"cut and counted: {heads} slow heads, {bodies} slow bodies; still open {trickle.Open}");
        Assert.True(heads >= Tricklers / 2, $"only {heads} slow heads counted");
        Assert.True(bodies >= Tricklers / 2, $"only {bodies} slow bodies counted");
        Assert.Equal(0, trickle.Open);
    }

    private static int Count(List<long>[] completions, long from, long to)
    {
        var count = 0;
        foreach (var list in completions)
        {
            lock (list)
            {
                foreach (var at in list)
                {
                    if (at >= from && at < to)
                    {
                        count++;
                    }
                }
            }
        }
        return count;
    }

    /// <summary>
    /// Half the connections send a request head a byte at a time, half a head and then a body a
    /// byte at a time. One task sends every byte, in slices, so 1,000 connections cost the test
    /// little; a connection the gateway cuts is opened again while the trickle runs.
    /// </summary>
    private sealed class Trickle(int port) : IAsyncDisposable
    {
        private const int Ticks = 25;
        private readonly Socket?[] _sockets = new Socket?[Tricklers];
        private readonly CancellationTokenSource _stop = new();
        private volatile bool _sending = true;
        private Task? _loop;
        private int _open;
        private int _cuts;
        private int _reconnects;

        public int Open => Volatile.Read(ref _open);
        public int Cuts => Volatile.Read(ref _cuts);
        public int Reconnects => Volatile.Read(ref _reconnects);

        public async Task OpenAllAsync()
        {
            var opening = new Task[Tricklers];
            for (var i = 0; i < Tricklers; i++)
            {
                opening[i] = OpenAsync(i);
            }
            await Task.WhenAll(opening);
            _loop = Task.Run(LoopAsync);
        }

        public void StopSending() => _sending = false;

        private async Task OpenAsync(int slot)
        {
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port));
                var prefix = slot % 2 == 0
                    ? "GET / HTTP/1.1\r\nHost: x\r\nX-Trickle: "
                    : "POST /sink HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n";
                await socket.SendAsync(Encoding.ASCII.GetBytes(prefix), SocketFlags.None);
            }
            catch (SocketException)
            {
                socket.Dispose();
                return;
            }
            Interlocked.Increment(ref _open);
            Volatile.Write(ref _sockets[slot], socket);
            _ = WatchAsync(slot, socket);
        }

        /// <summary>Waits for the gateway's answer (408) or close: the connection was cut.</summary>
        private async Task WatchAsync(int slot, Socket socket)
        {
            var buffer = new byte[1024];
            try
            {
                while (await socket.ReceiveAsync(buffer, SocketFlags.None, _stop.Token) > 0)
                {
                }
            }
            catch (Exception ex) when (ex is SocketException or OperationCanceledException or ObjectDisposedException)
            {
            }
            Interlocked.CompareExchange(ref _sockets[slot], null, socket);
            socket.Dispose();
            Interlocked.Decrement(ref _open);
            if (!_stop.IsCancellationRequested)
            {
                Interlocked.Increment(ref _cuts);
            }
        }

        private async Task LoopAsync()
        {
            var tick = TimeSpan.FromTicks(TrickleEvery.Ticks / Ticks);
            var slice = 0;
            var one = "a"u8.ToArray();
            while (!_stop.IsCancellationRequested && _sending)
            {
                for (var i = slice; i < Tricklers; i += Ticks)
                {
                    var socket = Volatile.Read(ref _sockets[i]);
                    if (socket is null)
                    {
                        Interlocked.Increment(ref _reconnects);
                        await OpenAsync(i);
                        continue;
                    }
                    try
                    {
                        await socket.SendAsync(one, SocketFlags.None);
                    }
                    catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
                    {
                    }
                }
                slice = (slice + 1) % Ticks;
                try
                {
                    await Task.Delay(tick, _stop.Token);
                }
                catch (OperationCanceledException)
                {
                }
            }
        }

        public async ValueTask DisposeAsync()
        {
            _stop.Cancel();
            if (_loop is not null)
            {
                await _loop;
            }
            foreach (var socket in _sockets)
            {
                socket?.Dispose();
            }
            _stop.Dispose();
        }
    }
}
