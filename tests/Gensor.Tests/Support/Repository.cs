namespace Gensor.Tests.Support;

/// <summary>The checkout the tests run from.</summary>
public static class Repository
{
    /// <summary>The folder holding Gensor.sln, found upwards from the test assembly.</summary>
    public static string Root()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Gensor.sln")))
            {
                return dir.FullName;
            }
        }
        throw new InvalidOperationException($"no Gensor.sln above {AppContext.BaseDirectory}");
    }
}
