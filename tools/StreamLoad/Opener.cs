namespace FastGate.Tools.StreamLoad;

/// <summary>
/// Opens many streams with a bounded number of handshakes in flight, so thousands of connects
/// do not overflow a listen backlog (which would show up as slow SYN retries, not as the proxy).
/// </summary>
internal static class Opener
{
    public static async Task<(T?[] Opened, int Failed, string? FirstError)> OpenAsync<T>(
        int count, int concurrency, Func<int, Task<T>> open, string what)
        where T : class
    {
        var opened = new T?[count];
        var failed = 0;
        string? firstError = null;
        using var gate = new SemaphoreSlim(Math.Max(1, concurrency));
        var tasks = new Task[count];
        var done = 0;
        for (var i = 0; i < count; i++)
        {
            await gate.WaitAsync();
            var index = i;
            tasks[i] = Task.Run(async () =>
            {
                try
                {
                    opened[index] = await open(index);
                }
                catch (Exception e)
                {
                    Interlocked.Increment(ref failed);
                    Interlocked.CompareExchange(ref firstError, e.Message, null);
                }
                finally
                {
                    gate.Release();
                    var n = Interlocked.Increment(ref done);
                    if (n % 5000 == 0 && count > 5000)
                    {
                        Console.Error.WriteLine($"stream-load: {n} of {count} {what} opened");
                    }
                }
            });
        }
        await Task.WhenAll(tasks);
        return (opened, failed, firstError);
    }
}
