namespace FastGate.Functional.Tests.Infrastructure;

/// <summary>
/// Where the two executables are. The project references copy fastgate.dll and
/// mock-upstream.dll next to the test assembly; when a runner shadow-copies the tests
/// elsewhere, fall back to each project's own bin folder found by walking up to the repo root.
/// </summary>
public static class TestPaths
{
    public static string FastGateDll { get; } = Locate("fastgate.dll", Path.Combine("src", "FastGate"));
    public static string MockUpstreamDll { get; } = Locate("mock-upstream.dll", Path.Combine("tools", "MockUpstream"));
    public static string GrpcServiceDll { get; } = Locate("grpc-service.dll", Path.Combine("tools", "GrpcService"));

    private static string Locate(string fileName, string projectFolder)
    {
        var here = AppContext.BaseDirectory;
        var beside = Path.Combine(here, fileName);
        if (File.Exists(beside))
        {
            return beside;
        }
#if DEBUG
        const string configuration = "Debug";
#else
        const string configuration = "Release";
#endif
        for (var dir = new DirectoryInfo(here); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "FastGate.sln")))
            {
                var candidate = Path.Combine(dir.FullName, projectFolder, "bin", configuration, "net10.0", fileName);
                if (File.Exists(candidate))
                {
                    return candidate;
                }
                break;
            }
        }
        throw new FileNotFoundException($"{fileName} not found beside the tests or under {projectFolder}/bin; build FastGate.sln first");
    }
}
