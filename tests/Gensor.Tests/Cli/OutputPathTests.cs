using Gensor.Files;
using Gensor.Tests.Support;

namespace Gensor.Tests.Cli;

/// <summary>Output paths through symbolic links: one folder under two names is one folder.</summary>
public sealed class OutputPathTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void A_folder_and_links_to_it_have_one_real_directory()
    {
        var real = Directory.CreateDirectory(Path.Combine(_dir.Path, "real", "out")).FullName;
        var absolute = Path.Combine(_dir.Path, "absolute");
        Directory.CreateSymbolicLink(absolute, real);
        // A relative link to a folder that holds the link to the real one: two hops.
        var hop = Path.Combine(_dir.Path, "hop");
        Directory.CreateSymbolicLink(hop, ".");

        Assert.Equal(real, OutputPath.RealDirectory(real));
        Assert.Equal(real, OutputPath.RealDirectory(absolute));
        Assert.Equal(real, OutputPath.RealDirectory(Path.Combine(hop, "absolute")));
        Assert.Equal(real, OutputPath.RealDirectory(Path.Combine(hop, "real", "out")));
    }

    [Fact]
    public void A_directory_not_made_yet_or_a_loop_stays_as_given()
    {
        var missing = Path.Combine(_dir.Path, "not", "yet");
        var loop = Path.Combine(_dir.Path, "loop");
        File.CreateSymbolicLink(loop, loop);

        Assert.Equal(missing, OutputPath.RealDirectory(missing));
        Assert.Equal(Path.Combine(loop, "x"), OutputPath.RealDirectory(Path.Combine(loop, "x")));
    }
}
