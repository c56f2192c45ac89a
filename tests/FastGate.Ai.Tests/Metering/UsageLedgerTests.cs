using System.Buffers.Binary;
using System.Text;
using FastGate.Ai.Metering;
using FastGate.Ai.Providers;
using FastGate.Proxy.Observability;

namespace FastGate.Ai.Tests.Metering;

public sealed class UsageLedgerTests : IDisposable
{
    private readonly LedgerTestKit _kit = new();
    private readonly StringWriter _log = new();

    public void Dispose() => _kit.Dispose();

    private UsageLedger NewLedger(string path)
    {
        var ledger = new UsageLedger(new GatewayLog(_log), TimeSpan.FromMilliseconds(10));
        Assert.True(ledger.Open(path));
        return ledger;
    }

    [Fact]
    public void Append_ThenDispose_RecordsReadBackWithEveryField()
    {
        var path = _kit.File();
        var first = LedgerTestKit.Record("req-1") with { Api = ClientApi.AnthropicMessages, Attempts = 2, Stream = false };
        var second = LedgerTestKit.Record("req-2", consumer: "bob \"quoted\" ünïcode\n", reported: false, cost: 1.234567890123m, status: 499) with
        {
            Usage = new TokenUsage { Input = 1234, Output = 56, CachedInput = 1000, CacheWriteInput = 34, Reasoning = 7, Reported = false },
        };
        using (var ledger = NewLedger(path))
        {
            Assert.Equal(1, ledger.Append(first));
            Assert.Equal(2, ledger.Append(second));
        }

        var records = UsageLedgerReader.ReadAll(path);

        Assert.Equal([first, second], records);
    }

    [Fact]
    public void Flush_ReturnsWithRecordsDurable_AndSyncedReportsThem()
    {
        using var ledger = new UsageLedger(new GatewayLog(_log), TimeSpan.FromHours(1));
        long synced = 0;
        ledger.Synced = durable => synced = durable;
        ledger.Open(_kit.File());
        ledger.Append(LedgerTestKit.Record("a"));
        ledger.Append(LedgerTestKit.Record("b"));

        Assert.Equal(0, ledger.Durable);
        Assert.True(ledger.Flush());

        Assert.Equal(2, ledger.Durable);
        Assert.Equal(2, synced);
        Assert.Equal(["a", "b"], UsageLedgerReader.ReadAll(_kit.File()).Select(r => r.RequestId));
    }

    [Fact]
    public void Append_BatchesLargerThanAnyBefore_UpToTheReservedSize_AllocateNothing()
    {
        // One request at a time (c=1) gives small batches; when the writer is late (a slow fsync,
        // a busy machine), a batch holds more records than any before. Such a batch must not
        // grow the batch buffers on the appending (loop) thread: a gateway at a steady rate would
        // otherwise allocate each time its writer was later than ever before.
        using var ledger = new UsageLedger(new GatewayLog(_log), TimeSpan.FromHours(1));
        Assert.True(ledger.Open(_kit.File()));
        var record = LedgerTestKit.Record("req-warm");
        var start = new FileInfo(_kit.File()).Length;
        ledger.Append(record);
        Assert.True(ledger.Flush());
        var frame = new FileInfo(_kit.File()).Length - start;
        // Batches of up to 7/8 of the reserved megabyte, the largest first, once per buffer.
        var counts = new[] { (int)(7 * 1024 * 1024 / 8 / frame), 100, 1 };

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var batch = 0; batch < 2 * counts.Length; batch++)
        {
            for (var i = 0; i < counts[batch % counts.Length]; i++)
            {
                ledger.Append(record);
            }
            Assert.True(ledger.Flush());
        }
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(0, allocated);
        Assert.Equal(1 + 2 * counts.Sum(), UsageLedgerReader.ReadAll(_kit.File()).Count);
    }

    [Fact]
    public void WriterThread_WritesWithinTheInterval_WithoutFlush()
    {
        using var ledger = NewLedger(_kit.File());
        ledger.Append(LedgerTestKit.Record("a"));

        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (ledger.Durable < 1 && DateTime.UtcNow < deadline)
        {
            Thread.Sleep(5);
        }

        Assert.Equal(1, ledger.Durable);
        Assert.Single(UsageLedgerReader.ReadAll(_kit.File()));
    }

    [Fact]
    public void WriterThread_SleepsWhileNothingIsPending_AndWakesForTheNextRecord()
    {
        using var ledger = NewLedger(_kit.File());
        ledger.Append(LedgerTestKit.Record("a"));
        WaitUntilDurable(ledger, 1);

        // With a 10 ms interval a polling writer would turn about 30 times in each pause.
        Thread.Sleep(300);
        var turns = ledger.WriterTurns;
        Thread.Sleep(300);
        Assert.Equal(turns, ledger.WriterTurns);

        ledger.Append(LedgerTestKit.Record("b"));
        WaitUntilDurable(ledger, 2);
        Assert.Equal(["a", "b"], UsageLedgerReader.ReadAll(_kit.File()).Select(r => r.RequestId));
    }

    private static void WaitUntilDurable(UsageLedger ledger, long count)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (ledger.Durable < count && DateTime.UtcNow < deadline)
        {
            Thread.Sleep(5);
        }
        Assert.Equal(count, ledger.Durable);
    }

    [Fact]
    public void ReadAll_IncludesRecordsAppendedSinceTheLastFsync()
    {
        using var ledger = new UsageLedger(new GatewayLog(_log), TimeSpan.FromHours(1));
        ledger.Open(_kit.File());
        ledger.Append(LedgerTestKit.Record("a"));

        Assert.Equal(["a"], ledger.ReadAll().Select(r => r.RequestId));
    }

    [Fact]
    public void Open_ExistingLedger_AppendsAfterItsRecords()
    {
        var path = _kit.File();
        using (var ledger = NewLedger(path))
        {
            ledger.Append(LedgerTestKit.Record("a"));
        }
        using (var ledger = NewLedger(path))
        {
            ledger.Append(LedgerTestKit.Record("b"));
        }

        Assert.Equal(["a", "b"], UsageLedgerReader.ReadAll(path).Select(r => r.RequestId));
        Assert.DoesNotContain("torn", _log.ToString());
    }

    [Fact]
    public void Open_AnotherPath_MovesLaterRecordsThere_EarlierStayInTheFirst()
    {
        var first = _kit.File("a.ledger");
        var second = Path.Combine(_kit.Folder, "sub", "b.ledger");
        using var ledger = new UsageLedger(new GatewayLog(_log), TimeSpan.FromHours(1));
        ledger.Open(first);
        ledger.Append(LedgerTestKit.Record("1"));

        Assert.True(ledger.Open(second));
        ledger.Append(LedgerTestKit.Record("2"));
        ledger.Flush();

        Assert.Equal(["1"], UsageLedgerReader.ReadAll(first).Select(r => r.RequestId));
        Assert.Equal(["2"], UsageLedgerReader.ReadAll(second).Select(r => r.RequestId));
        Assert.Equal(Path.GetFullPath(second), ledger.Path);
    }

    [Fact]
    public void Open_FileThatIsNotALedger_RefusedAndLeftAsItWas()
    {
        var path = _kit.File();
        File.WriteAllText(path, "some operator's notes, not a ledger\n");
        using var ledger = new UsageLedger(new GatewayLog(_log), TimeSpan.FromHours(1));

        Assert.False(ledger.Open(path));
        ledger.Append(LedgerTestKit.Record("a"));
        ledger.Flush();

        Assert.Equal("some operator's notes, not a ledger\n", File.ReadAllText(path));
        Assert.Contains("not a usage ledger", _log.ToString());
    }

    [Fact]
    public void Open_TornTailAtEveryByteOfTheLastRecord_EarlierRecordsKept_TailCut_NewAppendReadable()
    {
        var (whole, lastFrameStart) = ThreeRecordLedger();
        var path = _kit.File("cut.ledger");
        for (var cut = lastFrameStart; cut < whole.Length; cut++)
        {
            File.WriteAllBytes(path, whole[..cut]);

            using (var ledger = NewLedger(path))
            {
                Assert.Equal(["r0", "r1"], ledger.ReadAll().Select(r => r.RequestId));
                Assert.Equal(lastFrameStart, new FileInfo(path).Length);
                ledger.Append(LedgerTestKit.Record("after"));
            }

            Assert.Equal(["r0", "r1", "after"], UsageLedgerReader.ReadAll(path).Select(r => r.RequestId));
        }
        // One warning per cut open that had a tail (the cut exactly at the frame boundary has none).
        Assert.Equal(whole.Length - lastFrameStart - 1, CountOf(_log.ToString(), "torn or damaged tail"));
    }

    [Fact]
    public void Open_FlippedByteInTheLastRecord_EarlierRecordsKept_DamagedOneSkipped()
    {
        var (whole, lastFrameStart) = ThreeRecordLedger();
        var path = _kit.File("flip.ledger");
        for (var at = lastFrameStart; at < whole.Length; at++)
        {
            var damaged = (byte[])whole.Clone();
            damaged[at] ^= 0x20;
            File.WriteAllBytes(path, damaged);

            Assert.Equal(["r0", "r1"], UsageLedgerReader.ReadAll(path).Select(r => r.RequestId));
            using (var ledger = NewLedger(path))
            {
                ledger.Append(LedgerTestKit.Record("after"));
            }
            Assert.Equal(["r0", "r1", "after"], UsageLedgerReader.ReadAll(path).Select(r => r.RequestId));
        }
    }

    [Fact]
    public void Open_TornHeader_StartsTheLedgerAfresh()
    {
        var path = _kit.File();
        File.WriteAllBytes(path, "FGLED"u8.ToArray());

        using (var ledger = NewLedger(path))
        {
            ledger.Append(LedgerTestKit.Record("a"));
        }

        Assert.Equal(["a"], UsageLedgerReader.ReadAll(path).Select(r => r.RequestId));
    }

    [Fact]
    public void Append_FromSeveralThreadsAtOnce_EveryRecordPresentOnce()
    {
        const int Threads = 6;
        const int PerThread = 5_000;
        var path = _kit.File();
        using (var ledger = NewLedger(path))
        {
            var start = new Barrier(Threads);
            var workers = Enumerable.Range(0, Threads).Select(t => new Thread(() =>
            {
                start.SignalAndWait();
                for (var k = 0; k < PerThread; k++)
                {
                    Assert.NotEqual(0, ledger.Append(LedgerTestKit.Record($"t{t}-{k}")));
                }
            })).ToList();
            workers.ForEach(w => w.Start());
            workers.ForEach(w => w.Join());
            Assert.Equal(Threads * PerThread, ledger.Appended);
        }

        var records = UsageLedgerReader.ReadAll(path);

        Assert.Equal(Threads * PerThread, records.Count);
        // Each thread's records are all there, in the order that thread appended them.
        foreach (var thread in records.GroupBy(r => r.RequestId.Split('-')[0]))
        {
            Assert.Equal(Enumerable.Range(0, PerThread).Select(k => $"{thread.Key}-{k}"), thread.Select(r => r.RequestId));
        }
    }

    [Fact]
    public void DirectorySync_OnLinux_FsyncsTheFolderOfANewLedger()
    {
        Assert.Equal(OperatingSystem.IsLinux(), DirectorySync.Flush(_kit.Folder));
        Assert.False(DirectorySync.Flush(Path.Combine(_kit.Folder, "missing")));
    }

    [Fact]
    public void Crc32C_MatchesTheStandardCheckValue()
    {
        Assert.Equal(0xE3069283u, UsageLedgerFormat.Crc32C("123456789"u8));
        Assert.Equal(0u, UsageLedgerFormat.Crc32C([]));
    }

    [Fact]
    public void File_HasTheDocumentedLayout_HeaderThenLengthChecksumJsonFrames()
    {
        var path = _kit.File();
        using (var ledger = NewLedger(path))
        {
            ledger.Append(LedgerTestKit.Record("req-1"));
        }

        var bytes = File.ReadAllBytes(path);

        Assert.Equal("FGLEDGER"u8.ToArray(), bytes[..8]);
        Assert.Equal(1u, BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(8)));
        var length = (int)BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(16));
        Assert.Equal(bytes.Length, 16 + 8 + length);
        var payload = bytes.AsSpan(24, length);
        Assert.Equal(UsageLedgerFormat.Crc32C(payload), BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(20)));
        var json = Encoding.UTF8.GetString(payload);
        Assert.StartsWith("{\"time_ms\":1767225600000,\"request_id\":\"req-1\",\"consumer\":\"alice\"", json);
        Assert.Contains("\"input_tokens\":10,\"output_tokens\":20,\"cached_input_tokens\":5", json);
        Assert.Contains("\"reported\":true,\"cost_usd\":0.0001,\"status\":200", json);
    }

    /// <summary>A ledger file of records r0, r1, r2, and where r2's frame starts.</summary>
    private (byte[] Whole, int LastFrameStart) ThreeRecordLedger()
    {
        var path = _kit.File("three.ledger");
        long beforeLast;
        using (var ledger = NewLedger(path))
        {
            ledger.Append(LedgerTestKit.Record("r0"));
            ledger.Append(LedgerTestKit.Record("r1"));
            ledger.Flush();
            beforeLast = new FileInfo(path).Length;
            ledger.Append(LedgerTestKit.Record("r2"));
        }
        var whole = File.ReadAllBytes(path);
        Assert.True(whole.Length > beforeLast);
        return (whole, (int)beforeLast);
    }

    private static int CountOf(string text, string part)
    {
        var count = 0;
        for (var at = text.IndexOf(part, StringComparison.Ordinal); at >= 0; at = text.IndexOf(part, at + 1, StringComparison.Ordinal))
        {
            count++;
        }
        return count;
    }
}
