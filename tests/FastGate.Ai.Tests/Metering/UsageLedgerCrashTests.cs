using System.Diagnostics;
using FastGate.Ai.Metering;
using FastGate.Proxy.Observability;
using Xunit.Abstractions;

namespace FastGate.Ai.Tests.Metering;

/// <summary>
/// Kill -9 under load: tools/LedgerWriter appends from several threads and prints how many
/// records are durable after each fsync; after SIGKILL every record up to the last count it
/// printed must be in the file, intact, and the file must open for appending again.
/// </summary>
public sealed class UsageLedgerCrashTests(ITestOutputHelper output) : IDisposable
{
    private readonly LedgerTestKit _kit = new();

    public void Dispose() => _kit.Dispose();

    [Fact]
    public async Task KillDashNine_WhileAppendingFromFourThreads_EveryRecordReportedDurableIsThere()
    {
        var path = _kit.File();
        using var writer = StartWriter(path);
        try
        {
            await KillMidRunAndCheck(writer, path);
        }
        finally
        {
            if (!writer.HasExited)
            {
                writer.Kill();
            }
        }
    }

    private async Task KillMidRunAndCheck(Process writer, string path)
    {
        var durableCounts = new List<long>();
        var firstDurable = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var reading = Task.Run(async () =>
        {
            while (await writer.StandardOutput.ReadLineAsync() is { } line)
            {
                if (line.StartsWith("durable ", StringComparison.Ordinal))
                {
                    lock (durableCounts)
                    {
                        durableCounts.Add(long.Parse(line["durable ".Length..]));
                    }
                    firstDurable.TrySetResult();
                }
            }
        });
        var errors = writer.StandardError.ReadToEndAsync();

        // Generous for a cold start on a busy machine; the crash comes ~2 s into steady appending.
        var started = Stopwatch.StartNew();
        await firstDurable.Task.WaitAsync(TimeSpan.FromSeconds(60));
        output.WriteLine($"first fsync after {started.ElapsedMilliseconds} ms");
        await Task.Delay(TimeSpan.FromSeconds(2));
        if (writer.HasExited)
        {
            Assert.Fail("the writer ended before it was killed: " + await errors);
        }
        output.WriteLine($"kill at {started.ElapsedMilliseconds} ms");
        writer.Kill();
        await writer.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
        output.WriteLine($"exited at {started.ElapsedMilliseconds} ms: {writer.ExitCode}");
        await reading.WaitAsync(TimeSpan.FromSeconds(30));
        output.WriteLine($"killed and drained after {started.ElapsedMilliseconds} ms");

        long lastDurable;
        lock (durableCounts)
        {
            lastDurable = durableCounts.Max();
            Assert.Equal(durableCounts.Order(), durableCounts);
        }
        var clock = Stopwatch.StartNew();
        var records = UsageLedgerReader.ReadAll(path);
        output.WriteLine($"read in {clock.ElapsedMilliseconds} ms");
        output.WriteLine($"{durableCounts.Count} fsyncs reported, last durable {lastDurable}, {records.Count} records in the file, {new FileInfo(path).Length} bytes");

        Assert.True(lastDurable > 0);
        Assert.True(records.Count >= lastDurable, $"{records.Count} records in the file, {lastDurable} were reported durable");
        // Each thread's records are there from its first on, none missing before its last.
        foreach (var thread in records.GroupBy(r => r.RequestId.Split('-')[0]))
        {
            var sequence = thread.Select(r => long.Parse(r.RequestId.Split('-')[1])).ToList();
            Assert.Equal(Enumerable.Range(0, sequence.Count).Select(k => (long)k), sequence);
        }
        Assert.All(records, r => Assert.Equal(200, r.Status));

        var log = new StringWriter();
        using (var ledger = new UsageLedger(new GatewayLog(log), TimeSpan.FromMilliseconds(10)))
        {
            Assert.True(ledger.Open(path), log.ToString());
            ledger.Append(LedgerTestKit.Record("after-crash"));
        }
        var reopened = UsageLedgerReader.ReadAll(path);
        Assert.Equal(records.Count + 1, reopened.Count);
        Assert.Equal("after-crash", reopened[^1].RequestId);
    }

    private static Process StartWriter(string path)
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "ledger-writer.dll");
        Assert.True(File.Exists(dll), $"{dll} is missing: the test project references tools/LedgerWriter");
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[] { dll, "--path", path, "--threads", "4", "--seconds", "20", "--interval-ms", "20", "--rate", "40000" })
        {
            start.ArgumentList.Add(argument);
        }
        return Process.Start(start) ?? throw new InvalidOperationException("ledger-writer did not start");
    }
}
