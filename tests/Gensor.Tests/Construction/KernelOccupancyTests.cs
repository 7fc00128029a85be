using Gensor.Feedback;
using Gensor.Hardware;

namespace Gensor.Tests.Construction;

/// <summary>
/// Resident blocks per SM from registers and shared memory, checked against cases worked by
/// hand with the rules of NVIDIA's occupancy calculator (cuda_occupancy.h).
/// </summary>
public sealed class KernelOccupancyTests
{
    private static KernelOccupancy Of(HardwareProfile profile, int group, int registers, long shared, int grid = 1) =>
        KernelOccupancy.Of(profile, group, grid, registers, shared)!;

    [Fact]
    public void Registers_limit_issue_9s_gemm_to_three_blocks()
    {
        // 156 x 32 = 4992 registers a warp, 5120 in units of 256; a quarter of the
        // register file (16384) holds 3 such warps: 12 warps, 3 blocks of 4 warps.
        var o = Of(BuiltInProfiles.H100, 128, 156, 0);

        Assert.Equal((3, 12, 384, "registers"), (o.ResidentBlocks, o.ResidentWarps, o.ResidentThreads, o.LimitedBy));
    }

    [Fact]
    public void Shared_memory_limits_one_warp_blocks_with_32_kb_each()
    {
        // 32768 + 1024 reserved = 33792 bytes a block; 233472 / 33792 = 6.9: 6 blocks.
        // Registers would allow 12 (168 x 32 = 5376, 3 warps a quarter).
        var o = Of(BuiltInProfiles.H100, 32, 168, 32768);

        Assert.Equal((6, 12, 192, "shared_memory"), (o.ResidentBlocks, o.BlocksByRegisters, o.ResidentThreads, o.LimitedBy));
    }

    [Fact]
    public void A_block_of_two_threads_takes_a_whole_warp_and_a_block_slot()
    {
        var o = Of(BuiltInProfiles.H100, 2, 32, 0);

        Assert.Equal((1, 64, 32, 64, "block_slots"), (o.WarpsPerBlock, o.BlocksByThreads, o.ResidentBlocks, o.ResidentThreads, o.LimitedBy));
    }

    [Fact]
    public void Threads_limit_full_blocks_of_few_registers()
    {
        var o = Of(BuiltInProfiles.H100, 1024, 32, 0);

        Assert.Equal((2, 2048, "threads"), (o.ResidentBlocks, o.ResidentThreads, o.LimitedBy));
    }

    [Fact]
    public void Warps_are_counted_per_register_file_quarter()
    {
        // 255 registers: 8192 a warp, two to a quarter, 8 warps an SM; blocks of 3 warps: 2 (not 65536/24576 rounded).
        var o = Of(BuiltInProfiles.H100, 96, 255, 0);

        Assert.Equal((2, 192), (o.BlocksByRegisters, o.ResidentThreads));
    }

    [Fact]
    public void A_block_needing_more_registers_than_a_block_may_hold_does_not_fit()
    {
        // 72 x 32 = 2304 a warp, 32 warps: 73728 > 65536.
        var o = Of(BuiltInProfiles.A100, 1024, 72, 0);

        Assert.Equal((0, 0), (o.BlocksByRegisters, o.ResidentBlocks));
        Assert.Null(o.Waves);
    }

    [Theory]
    [InlineData("a100", 1000, 82)] // 1000 + 1024 reserved -> 2048 in units of 128; 167936 / 2048
    [InlineData("v100", 1000, 96)] // no reservation, units of 256 -> 1024; 98304 / 1024
    public void Shared_memory_goes_in_units_after_the_reservation(string profile, long shared, int blocks)
    {
        Assert.Equal(blocks, Of(ProfileCatalog.Get(profile), 32, 16, shared).BlocksBySharedMemory);
    }

    [Fact]
    public void Without_shared_memory_on_volta_shared_memory_sets_no_limit()
    {
        Assert.Equal(int.MaxValue, Of(BuiltInProfiles.V100, 128, 32, 0).BlocksBySharedMemory);
    }

    [Fact]
    public void Waves_are_the_grid_over_what_all_sms_hold_at_once()
    {
        // 3 blocks an SM on 132 SMs hold 396 blocks; 1024 blocks are 2.59 waves.
        var o = Of(BuiltInProfiles.H100, 128, 156, 0, grid: 1024);

        Assert.Equal(1024.0 / 396, o.Waves!.Value, 9);
    }

    [Fact]
    public void A_profile_that_is_not_a_gpus_has_no_occupancy()
    {
        Assert.Null(KernelOccupancy.Of(BuiltInProfiles.Cpu, 128, 1, 32, 0));
    }
}
