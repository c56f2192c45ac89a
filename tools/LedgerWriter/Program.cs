using System.Globalization;
using FastGate.Ai.Metering;
using FastGate.Ai.Providers;
using FastGate.Proxy.Observability;

// Appends usage records to a ledger from several threads as fast as the ledger takes them,
// and prints "durable N" after every fsync that made records durable (N: records 1..N of this
// run are on disk). The crash test kills it with SIGKILL mid-run and checks the file; left
// alone it stops after --seconds. Request ids are "w{thread}-{k}", k counting from 0 per
// thread, so a reader can tell that no record of a thread is missing before its last one.
//
//   ledger-writer --path FILE [--threads 4] [--seconds 10] [--interval-ms 20] [--rate N]
//
// --rate caps the records per second of all threads together (0: as fast as the ledger takes them).

var path = "";
var threads = 4;
var seconds = 10.0;
var intervalMs = 20;
var rate = 0.0;
for (var i = 0; i + 1 < args.Length; i += 2)
{
    switch (args[i])
    {
        case "--path": path = args[i + 1]; break;
        case "--threads": threads = int.Parse(args[i + 1], CultureInfo.InvariantCulture); break;
        case "--seconds": seconds = double.Parse(args[i + 1], CultureInfo.InvariantCulture); break;
        case "--interval-ms": intervalMs = int.Parse(args[i + 1], CultureInfo.InvariantCulture); break;
        case "--rate": rate = double.Parse(args[i + 1], CultureInfo.InvariantCulture); break;
        default:
            Console.Error.WriteLine($"unknown option {args[i]}");
            return 2;
    }
}
if (path.Length == 0)
{
    Console.Error.WriteLine("usage: ledger-writer --path FILE [--threads N] [--seconds S] [--interval-ms MS] [--rate N]");
    return 2;
}

// Outstanding (appended, not yet durable) records at most: the writer stays ahead of the disk
// instead of filling the ledger's pending batch until it drops records.
const long MaxOutstanding = 50_000;

using var ledger = new UsageLedger(new GatewayLog(Console.Error), TimeSpan.FromMilliseconds(intervalMs));
ledger.Synced = durable =>
{
    Console.Out.WriteLine($"durable {durable}");
    Console.Out.Flush();
};
if (!ledger.Open(path))
{
    return 1;
}
var stop = DateTime.UtcNow.AddSeconds(seconds);
var workers = new Thread[threads];
for (var t = 0; t < threads; t++)
{
    var thread = t;
    workers[t] = new Thread(() =>
    {
        var start = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var perThread = rate / threads;
        for (var k = 0L; DateTime.UtcNow < stop; k++)
        {
            while (perThread > 0 && k > clock.Elapsed.TotalSeconds * perThread)
            {
                Thread.Sleep(1);
            }
            while (ledger.Appended - ledger.Durable > MaxOutstanding)
            {
                Thread.Sleep(1);
            }
            var record = new UsageRecord
            {
                UnixMs = start + k,
                RequestId = $"w{thread}-{k}",
                Consumer = "consumer-" + (k % 3),
                Route = "llm",
                Api = ClientApi.OpenAiChat,
                Provider = "mockoai",
                ModelAsked = "gpt-4o-mini",
                ModelUsed = "m+tokens-20",
                Usage = new TokenUsage { Input = 10 + k % 7, Output = 20, Reported = true },
                CostUsd = 0.000013m,
                Status = 200,
                Stream = k % 2 == 0,
                TimeToFirstTokenMs = 1.5,
                DurationMs = 12.25,
                Attempts = 1,
            };
            if (ledger.Append(record) == 0)
            {
                Console.Error.WriteLine($"record w{thread}-{k} dropped");
                return;
            }
        }
    }) { Name = $"writer-{t}" };
    workers[t].Start();
}
foreach (var worker in workers)
{
    worker.Join();
}
ledger.Flush();
Console.Out.WriteLine($"done {ledger.Durable}");
return 0;
