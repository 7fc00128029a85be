using Gensor.Hardware;

namespace Gensor.Tests.Construction;

/// <summary>
/// A profile file is validated as a whole (issue 13, item 6): every figure in
/// its stated range, and the figures consistent with each other, so nothing
/// downstream divides by a wrapped warp or allocates a table per bank.
/// </summary>
public sealed class ProfileValidationTests
{
    private static string Read(string fields) =>
        FrontEnd.BadInput.Thrown(() => ProfileCatalog.FromJson($$"""{"name": "p", "architecture": "sm_80", {{fields}}}""", "p.json"));

    [Theory]
    [InlineData("\"warp_size\": 2147483647", "warp_size")]
    [InlineData("\"warp_size\": 48", "power of two")]
    [InlineData("\"shared_memory_banks\": 1073741824", "shared_memory_banks")]
    [InlineData("\"transaction_bytes\": 3", "transaction_bytes")]
    [InlineData("\"l2_bytes\": 1e300", "l2_bytes")]
    [InlineData("\"peak_gflops\": 1e-300", "peak_gflops")]
    [InlineData("\"multiprocessors\": 1e9", "multiprocessors")]
    public void A_figure_outside_its_range_is_bad_input(string fields, string expected) =>
        Assert.Contains(expected, Read(fields));

    [Theory]
    [InlineData("\"shared_memory_per_block\": 200000, \"shared_memory_per_multiprocessor\": 100000", "exceeds shared_memory_per_multiprocessor")]
    [InlineData("\"max_threads_per_block\": 16, \"warp_size\": 32", "less than one warp")]
    [InlineData("\"max_threads_per_block\": 4096, \"max_threads_per_multiprocessor\": 2048", "exceeds max_threads_per_multiprocessor")]
    [InlineData("\"max_registers_per_thread\": 60000, \"registers_per_multiprocessor\": 1000", "exceeds registers_per_multiprocessor")]
    public void Figures_that_contradict_each_other_are_bad_input(string fields, string expected) =>
        Assert.Contains(expected, Read(fields));

    [Theory]
    [InlineData("thread_sync_ns", "is not 0 or a positive number")]
    [InlineData("occupancy_goal_threads", "is not 0 or a positive number")]
    [InlineData("max_unrolled_updates", "is not 0 or a positive number")]
    [InlineData("barrier_ns", "is not a positive number")]
    public void A_negative_figure_is_bad_input_saying_whether_0_would_do(string field, string expected) =>
        Assert.Contains($"'{field}' {expected}", Read($"\"{field}\": -5"));

    [Fact]
    public void Zero_means_none_where_a_field_allows_it_and_is_refused_elsewhere()
    {
        var read = ProfileCatalog.FromJson("""{"name": "p", "architecture": "sm_80", "thread_sync_ns": 0, "occupancy_goal_threads": 0, "max_unrolled_updates": 0}""", "p.json");
        Assert.Equal((0.0, 0, 0), (read.ThreadSyncNs, read.OccupancyGoalThreads, read.MaxUnrolledUpdates));
        Assert.Contains("'launch_us' is not a positive number", Read("\"launch_us\": 0"));
    }

    [Fact]
    public void A_figure_set_alone_is_checked_against_the_ones_filled_in()
    {
        // a100's shared memory per multiprocessor is 164 KB; 200 KB per block cannot fit.
        Assert.Contains("shared_memory_per_block", Read("\"shared_memory_per_block\": 204800"));
    }

    [Fact]
    public void A_name_with_a_control_character_is_bad_input() =>
        Assert.Contains("control character",
            FrontEnd.BadInput.Thrown(() => ProfileCatalog.FromJson("{\"name\": \"a\\nb\", \"architecture\": \"sm_80\"}", "p.json")));

    [Fact]
    public void Every_built_in_profile_passes_the_checks_a_file_would()
    {
        foreach (var profile in ProfileCatalog.All)
        {
            var read = ProfileCatalog.FromJson(ProfileCatalog.ToJson(profile), profile.Name);
            Assert.Equal(profile.MaxThreadsPerBlock, read.MaxThreadsPerBlock);
        }
    }
}
