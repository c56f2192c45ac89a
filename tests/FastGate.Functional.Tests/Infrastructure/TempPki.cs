namespace FastGate.Functional.Tests.Infrastructure;

/// <summary>
/// A temporary directory for a TLS test class's certificates and session files, with its
/// <see cref="TestPki"/> made on first use (a class whose tests need none makes no keys); both go
/// on dispose.
/// </summary>
public sealed class TempPki(string prefix) : IDisposable
{
    private TestPki? _pki;

    public string Directory { get; } = System.IO.Directory.CreateTempSubdirectory(prefix).FullName;

    public TestPki Pki => _pki ??= new TestPki(Directory);

    public void Dispose()
    {
        _pki?.Dispose();
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
