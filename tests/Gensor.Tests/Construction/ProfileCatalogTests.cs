using Gensor.Hardware;
using Gensor.Diagnostics;
using Xunit;

namespace Gensor.Tests.Construction;

public class ProfileCatalogTests
{
    [Fact]
    public void Every_built_in_profile_is_present()
    {
        var names = ProfileCatalog.All.Select(p => p.Name).ToHashSet();

        Assert.Superset(names, new HashSet<string> { "v100", "a100", "h100", "rtx3090", "rtx4090", "orin", "cpu" });
        Assert.True(ProfileCatalog.Get("cpu").Simulated);
        Assert.Equal(132, ProfileCatalog.Get("H100").Multiprocessors);
    }

    [Fact]
    public void An_unknown_name_is_bad_input_listing_the_known_names()
    {
        var error = Assert.Throws<GensorException>(() => ProfileCatalog.Get("tpu-v5"));

        Assert.Equal(ErrorKind.BadInput, error.Error.Kind);
        Assert.Contains("tpu-v5", error.Message);
        Assert.Contains("h100", error.Message);
        Assert.DoesNotContain("\n", error.Message);
    }

    [Fact]
    public void A_profile_file_reads_back_as_the_profile_written()
    {
        var path = Path.Combine(Path.GetTempPath(), $"gensor-profile-{Guid.NewGuid():N}.json");
        try
        {
            // The flags too: an OpenCL device's profile has no shuffles and no cp.async, and must keep neither.
            var profile = BuiltInProfiles.Orin with { Name = "my-orin", WarpShuffles = false, AsyncCopyInstructions = false };
            ProfileCatalog.WriteFile(profile, path);

            var read = ProfileCatalog.Get(path);

            Assert.Equal(ProfileCatalog.ToJson(profile), ProfileCatalog.ToJson(read));
            Assert.Equal(profile with { EstimatedFields = read.EstimatedFields }, read);
            Assert.Empty(read.EstimatedFields);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Missing_figures_come_from_the_closest_built_in_and_are_listed()
    {
        var profile = ProfileCatalog.FromJson("""{ "name": "lab-3080", "architecture": "sm_86", "multiprocessors": 68 }""", "lab.json");

        Assert.Equal(68, profile.Multiprocessors);
        Assert.Equal(BuiltInProfiles.Rtx3090.SharedMemoryPerBlock, profile.SharedMemoryPerBlock);
        Assert.Contains("shared_memory_per_block", profile.EstimatedFields);
        Assert.DoesNotContain("multiprocessors", profile.EstimatedFields);
    }

    [Fact]
    public void Estimated_fields_may_name_only_a_profiles_figures()
    {
        // Any string was kept and written back: 100,000 of them made calibrate write a profile over the 1 MiB that
        // --target then refused (found by fuzzing).
        var read = ProfileCatalog.FromJson("""{ "name": "lab", "architecture": "sm_90", "estimated_fields": ["launch_us"] }""", "lab.json");
        Assert.Contains("launch_us", read.EstimatedFields);

        var error = Assert.Throws<GensorException>(() =>
            ProfileCatalog.FromJson("""{ "name": "lab", "architecture": "sm_90", "estimated_fields": ["launch_us", "f000001"] }""", "lab.json"));
        Assert.Equal(ErrorKind.BadInput, error.Error.Kind);
        Assert.Contains("'f000001'", error.Message);
    }

    [Theory]
    [InlineData("""{ "name": "x", "architecture": "sm_80", "multiprocessors": "many" }""", "'multiprocessors'")]
    [InlineData("""{ "name": "x", "architecture": "sm_80", "shared_mem": 1 }""", "'shared_mem'")]
    [InlineData("""{ "architecture": "sm_80" }""", "'name'")]
    [InlineData("""[1, 2]""", "JSON object")]
    [InlineData("""{ "name": """, "not valid JSON")]
    [InlineData("""{ "name": "x", "architecture": "foo" }""", "'architecture' is 'foo', expected sm_XY")]
    [InlineData("""{ "name": "x", "architecture": "sm_9" }""", "'architecture' is 'sm_9'")]
    public void A_malformed_file_is_bad_input_naming_the_file_and_field(string json, string expected)
    {
        var error = Assert.Throws<GensorException>(() => ProfileCatalog.FromJson(json, "gpu.json"));

        Assert.Equal(ErrorKind.BadInput, error.Error.Kind);
        Assert.Contains("gpu.json", error.Message);
        Assert.Contains(expected, error.Message);
    }

    [Theory]
    [InlineData("sm_86", "rtx3090")]
    [InlineData("sm_90", "h100")]
    [InlineData("sm_75", "v100")]
    [InlineData("sm_100", "h100")]
    [InlineData("cpu", "cpu")]
    [InlineData("gfx90a", "h100")]
    public void Closest_finds_the_nearest_architecture(string architecture, string expected)
    {
        Assert.Equal(expected, ProfileCatalog.Closest(architecture).Name);
    }
}
