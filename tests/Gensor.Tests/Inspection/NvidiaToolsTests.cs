using Gensor.Backend.Inspection;

namespace Gensor.Tests.Inspection;

/// <summary>Finding NVIDIA's tools: a CUDA toolkit on the machine, or the project's own copy.</summary>
public sealed class NvidiaToolsTests
{
    [Fact]
    public void The_release_is_read_from_ptxas_version()
    {
        const string text = "ptxas: NVIDIA (R) Ptx optimizing assembler\nCopyright (c) 2005-2022 NVIDIA Corporation\nBuilt on Wed_Sep_21_10:31:59_PDT_2022\nCuda compilation tools, release 11.8, V11.8.89\nBuild cuda_11.8.r11.8/compiler.31833905_0\n";

        Assert.Equal(new Version(11, 8), NvidiaTools.ParseRelease(text));
        Assert.Null(NvidiaTools.ParseRelease("ptxas: something else"));
    }

    [Fact]
    public void A_newer_toolkit_wins_over_the_projects_copy()
    {
        var project = new NvidiaTools("/clone/.tools/cuda/bin", new Version(11, 8), "project");
        var toolkit = new NvidiaTools("/usr/local/cuda/bin", new Version(12, 4), "CUDA_PATH");

        Assert.Same(toolkit, NvidiaTools.Newest([project, toolkit]));
    }

    [Fact]
    public void Among_equal_releases_the_first_found_wins()
    {
        var onPath = new NvidiaTools("/usr/bin", new Version(11, 8), "PATH");
        var project = new NvidiaTools("/clone/.tools/cuda/bin", new Version(11, 8), "project");

        Assert.Same(onPath, NvidiaTools.Newest([onPath, project]));
    }

    [Fact]
    public void The_tools_are_installed_for_the_tests()
    {
        var tools = Support.InstalledTools.Require();

        Assert.True(File.Exists(tools.Ptxas), tools.Ptxas);
        Assert.True(File.Exists(tools.Cuobjdump), tools.Cuobjdump);
        // cuobjdump -sass runs nvdisasm from its own folder.
        Assert.True(File.Exists(tools.Nvdisasm), tools.Nvdisasm);
        Assert.True(tools.Release >= new Version(11, 8), $"ptxas {tools.Release} cannot assemble for sm_90");
    }

    [Fact]
    public void The_projects_folder_is_found_above_a_directory_inside_the_clone()
    {
        var installed = Support.InstalledTools.Require();
        using var clone = new Support.TempDirectory();
        var bin = Directory.CreateDirectory(Path.Combine(clone.Path, ".tools", "cuda", "bin")).FullName;
        foreach (var tool in new[] { "ptxas", "cuobjdump", "nvdisasm" })
        {
            File.CreateSymbolicLink(Path.Combine(bin, tool), Path.Combine(installed.Directory, tool));
        }
        var inside = Directory.CreateDirectory(Path.Combine(clone.Path, "src", "deep")).FullName;

        var (found, missing) = NvidiaTools.Locate(new ToolSearch(null, null, [], [inside]));

        Assert.True(found is not null, missing);
        Assert.Equal(("project", bin, installed.Release), (found.Origin, found.Directory, found.Release));
    }

    [Fact]
    public void Nothing_found_says_how_to_install()
    {
        using var empty = new Support.TempDirectory();

        var (found, missing) = NvidiaTools.Locate(new ToolSearch(null, Path.Combine(empty.Path, "cuda"), [empty.Path], [empty.Path]));

        Assert.Null(found);
        Assert.Contains("scripts/install-nvidia-tools.sh", missing);
    }

    [Fact]
    public void An_explicit_folder_without_the_tools_is_reported_as_such()
    {
        using var empty = new Support.TempDirectory();

        var (found, missing) = NvidiaTools.Locate(new ToolSearch(empty.Path, null, [], []));

        Assert.Null(found);
        Assert.Contains("GENSOR_NVIDIA_TOOLS", missing);
    }
}
