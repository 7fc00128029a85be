using Gensor.Cli;
using Gensor.Tests.Support;

namespace Gensor.Tests.Cli;

/// <summary>Output files are written all or none (issue 13, item 8).</summary>
public sealed class AtomicFileTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void When_one_file_cannot_be_written_none_is_and_no_temporary_file_stays()
    {
        var kernel = _dir.File("kernel.cs", "old kernel");
        var launch = Path.Combine(_dir.Path, "launch.json");
        Directory.CreateDirectory(launch);

        Assert.ThrowsAny<IOException>(() => AtomicFile.WriteAll([(kernel, "new kernel"), (launch, "{}")]));

        Assert.Equal("old kernel", File.ReadAllText(kernel));
        Assert.Equal(["kernel.cs", "launch.json"], GensorProcess.Files(_dir.Path));
    }

    [Fact]
    public void Every_file_is_replaced_when_all_can_be_written()
    {
        var a = _dir.File("a", "old a");
        var b = Path.Combine(_dir.Path, "b");

        AtomicFile.WriteAll([(a, "new a"), (b, "new b")]);

        Assert.Equal("new a", File.ReadAllText(a));
        Assert.Equal("new b", File.ReadAllText(b));
        Assert.Equal(["a", "b"], GensorProcess.Files(_dir.Path));
    }

    [Fact]
    public void An_output_directory_under_a_file_is_refused_up_front()
    {
        _dir.File("f", "x");

        Assert.Contains("is a file", FrontEnd.BadInput.Thrown(() => AtomicFile.CheckDirectory(Path.Combine(_dir.Path, "f", "sub"), ["kernel.cs"], "--out")));
        Assert.Equal(["f"], GensorProcess.Files(_dir.Path));
    }
}
