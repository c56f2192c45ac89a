using System.Runtime.InteropServices;
using System.Threading.Channels;
using FastGate.Ai.Metering;
using FastGate.Ai.Stages;
using FastGate.Proxy.Admin;
using FastGate.Proxy.Config;
using FastGate.Proxy.Hosting;
using FastGate.Proxy.Observability;

namespace FastGate.Lifecycle;

/// <summary>
/// `fastgate run`: starts the gateway on a config file and turns signals into actions, one at
/// a time on one loop: SIGHUP reloads, SIGTERM/SIGINT drain and exit, SIGUSR1 reopens the
/// access log. Signal handlers only enqueue; nothing runs on the signal thread.
/// </summary>
public sealed class Daemon
{
    private const PosixSignal SIGUSR1 = (PosixSignal)10;

    private readonly string _configPath;
    private readonly string? _pidFilePath;
    private readonly GatewayLog _log = new();
    private readonly Channel<DaemonCommand> _commands = Channel.CreateUnbounded<DaemonCommand>();
    private UsageMeter? _meter;

    /// <param name="pidFilePath">Where to write the process id once serving (removed on exit), so an operator or a unit can signal exactly this process.</param>
    public Daemon(string configPath, string? pidFilePath = null)
    {
        _configPath = Path.GetFullPath(configPath);
        _pidFilePath = pidFilePath is null ? null : Path.GetFullPath(pidFilePath);
    }

    public async Task<int> RunAsync()
    {
        // Handlers first: a signal that arrives while the gateway starts is queued, not fatal.
        HangUpSignal.RestoreDefault();
        using var hup = PosixSignalRegistration.Create(PosixSignal.SIGHUP, Enqueue(DaemonCommand.Reload));
        using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Enqueue(DaemonCommand.Stop));
        using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Enqueue(DaemonCommand.Stop));
        using var usr1 = PosixSignalRegistration.Create(SIGUSR1, Enqueue(DaemonCommand.ReopenLogs));

        var load = ConfigLoader.Load(_configPath);
        if (load.Model is null || load.Errors.Count > 0)
        {
            foreach (var error in load.Errors)
            {
                Console.Error.WriteLine(error);
            }
            return 1;
        }

        using var notifier = new SystemdNotifier();
        using var gateway = new Gateway(_log) { TransportOverride = TransportFromEnvironment() };
        // The meter outlives every snapshot: made once, told each config's [ai], disposed after the drain.
        using var meter = _meter = new UsageMeter(gateway.Metrics, _log);
        new AiServices(meter, new TiktokenEstimator()).Register(gateway.Stages);
        ConfigureAi(load.Model);
        try
        {
            var admin = new AdminConnectionHandler(gateway, () => ReloadAsync(gateway, notifier));
            admin.Add(meter.UsageEndpoint);
            gateway.Start(load.Model, admin);
        }
        catch (InvalidOperationException ex)
        {
            _log.Error($"cannot start: {ex.Message}");
            return 1;
        }
        ReleaseLoadGarbage();

        PidFile? pidFile;
        try
        {
            pidFile = _pidFilePath is null ? null : PidFile.Write(_pidFilePath);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            _log.Error($"cannot write pid file {_pidFilePath}: {ex.Message}");
            return 1;
        }
        using var removePidFile = pidFile;

        using var watchdog = notifier.WatchdogInterval is { } interval ? new Timer(_ => notifier.Watchdog(), null, TimeSpan.Zero, interval) : null;

        _log.Info($"fastgate {VersionInfo.Version} serving {_configPath}");
        notifier.Ready(Status(gateway));

        await foreach (var command in _commands.Reader.ReadAllAsync().ConfigureAwait(false))
        {
            switch (command)
            {
                case DaemonCommand.Reload:
                    await ReloadAsync(gateway, notifier).ConfigureAwait(false);
                    break;
                case DaemonCommand.ReopenLogs:
                    // Said once it is so: a line logged after this message is in the new file.
                    if (await gateway.ReopenAccessLogAsync().ConfigureAwait(false))
                    {
                        _log.Info("access log reopened");
                    }
                    else
                    {
                        _log.Warn("access log could not be reopened; still writing to the old file");
                    }
                    break;
                case DaemonCommand.Stop:
                    notifier.Stopping();
                    gateway.StopAdmin();
                    var drain = gateway.Current.Model.Defaults.DrainTimeout;
                    _log.Info($"draining (up to {drain.TotalSeconds:0.###}s)");
                    var left = await gateway.DrainAsync(drain).ConfigureAwait(false);
                    if (left > 0)
                    {
                        _log.Warn($"drain timeout: closing {left} connection(s)");
                    }
                    _log.Info("stopped");
                    return 0;
            }
        }
        return 0;
    }

    private Action<PosixSignalContext> Enqueue(DaemonCommand command) => context =>
    {
        context.Cancel = true;
        _commands.Writer.TryWrite(command);
    };

    private readonly SemaphoreSlim _reloadLock = new(1, 1);

    /// <summary>How long a reload may wait in the background for a core before it competes for one.</summary>
    private static readonly TimeSpan ReloadPatience = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Loads the file and swaps it in on a thread of its own, in the background for the kernel.
    /// Parsing a large config takes a good part of a second of CPU. On the thread pool, which on
    /// a daemon pinned to one core has a single worker, it held every connection's continuations
    /// until it finished (slowest request 0.5–1.1 s during a reload of 100,000 routes). On a
    /// thread of its own at normal priority each request waited for the parse's time slice
    /// (median 4 ms); at nice 19 still for the rest of a slice (p99 2.8 ms). Under SCHED_IDLE a
    /// serving thread that wakes takes the core at once: p99 0.21 ms against 0.15–0.18 idle. The
    /// price is that a reload only gets the time serving leaves, none on a saturated core; so a
    /// reload still running after <see cref="ReloadPatience"/> competes at nice 19 and finishes
    /// on a small share of the core however busy it stays.
    /// </summary>
    private async Task<ReloadResult> ReloadAsync(Gateway gateway, SystemdNotifier notifier)
    {
        await _reloadLock.WaitAsync().ConfigureAwait(false);
        try
        {
            var done = new TaskCompletionSource<ReloadResult>(TaskCreationOptions.RunContinuationsAsynchronously);
            var threadId = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
            var thread = new Thread(() =>
            {
                try
                {
                    threadId.SetResult(ThreadPriority.CurrentThreadId());
                    ThreadPriority.MoveCurrentToBackground();
                    notifier.Reloading();
                    var result = gateway.Reload(ConfigLoader.Load(_configPath));
                    if (result.Success)
                    {
                        ConfigureAi(gateway.Current.Model);
                    }
                    ReleaseLoadGarbage();
                    notifier.Ready(result.Success ? Status(gateway) : $"reload failed, serving generation {gateway.Current.Generation}");
                    done.SetResult(result);
                }
                catch (Exception ex)
                {
                    done.SetException(ex);
                }
            })
            { IsBackground = true, Name = "fastgate-reload" };
            thread.Start();
            if (await Task.WhenAny(done.Task, Task.Delay(ReloadPatience)).ConfigureAwait(false) != done.Task)
            {
                ThreadPriority.LetCompete(await threadId.Task.ConfigureAwait(false));
            }
            return await done.Task.ConfigureAwait(false);
        }
        finally
        {
            _reloadLock.Release();
        }
    }

    /// <summary>
    /// Points the meter at the config's ledger. Only a config with an AI route opens one: the default
    /// path is under /var/lib, which a daemon serving plain traffic need not be able to write.
    /// </summary>
    private void ConfigureAi(ConfigModel model)
    {
        if (_meter is not null && HasAiRoute(model))
        {
            try
            {
                _meter.Configure(model.Ai);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                _log.Error($"the usage ledger cannot be opened: {ex.Message}");
            }
        }
    }

    private static bool HasAiRoute(ConfigModel model)
    {
        foreach (var route in model.Routes)
        {
            if (route.Ai)
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>
    /// A load is when the largest garbage in the process appears at once: the parse of the file
    /// and, once swapped, the old snapshot, which has lived long enough to sit in the oldest
    /// generation. Left to its budgets the GC lets that pile up and keeps the regions committed
    /// (RSS grew 30 MB over a few hundred small reloads, and a daemon serving 100,000 routes grew
    /// from 257 MB to 555 MB over three). One aggressive full collection after each load frees it
    /// and gives the emptied regions back. It pauses serving threads while the live heap is
    /// marked, about a millisecond for a small config; bench/route-scale.sh measures the
    /// latency around reloads of large ones.
    /// </summary>
    private static void ReleaseLoadGarbage() =>
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);

    private static string Status(Gateway gateway)
    {
        var snapshot = gateway.Current;
        return $"serving generation {snapshot.Generation}: {snapshot.Model.Listeners.Count} listener(s), {snapshot.Model.Routes.Count} route(s)";
    }

    private enum DaemonCommand
    {
        Reload,
        Stop,
        ReopenLogs,
    }

    /// <summary>
    /// FASTGATE_TRANSPORT=portable|epoll overrides the config's <c>transport</c> for this run, to
    /// compare the two or rule one out without editing the config.
    /// </summary>
    private TransportKind? TransportFromEnvironment()
    {
        var value = Environment.GetEnvironmentVariable("FASTGATE_TRANSPORT");
        switch (value)
        {
            case null or "":
                return null;
            case "portable":
                _log.Info("FASTGATE_TRANSPORT=portable: connections run on the portable socket transport");
                return TransportKind.Portable;
            case "epoll":
                return TransportKind.Epoll;
            default:
                _log.Warn($"FASTGATE_TRANSPORT='{value}' is neither 'epoll' nor 'portable'; using the config's transport");
                return null;
        }
    }
}
