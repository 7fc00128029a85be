using Gensor.Analysis;
using Gensor.Backend.Inspection;
using Gensor.Construction;
using Gensor.Etir;
using Gensor.Feedback;
using Gensor.Hardware;
using Gensor.Tests.Support;

namespace Gensor.Tests.Inspection;

/// <summary>
/// The tensor-core tiling's register estimate (<see cref="TensorCoreTiling.RegistersPerThread"/>) against
/// what ptxas allocates for the same kernel on sm_90: legality and occupancy rest on it for every
/// candidate the compiler check does not reach.
/// </summary>
public sealed class TensorCoreRegisterTests
{
    private static Operator Gemm(string dtype) => Operators.Parse(Operators.Gemm, "m=4096,n=4096,k=4096", null, dtype);

    /// <summary>The kernel of <paramref name="schedule"/> through ptxas for h100 (sm_90).</summary>
    private static KernelFeedback Compile(Operator op, Schedule schedule) =>
        new NvidiaCompilerFeedback(InstalledTools.Require()).Inspect(op, [schedule], BuiltInProfiles.H100).Single();

    [Theory]
    // ptxas 11.8 with the windowed kernels: 32, 62, 117 and 167 registers (estimates 32, 64, 104 and 176).
    // Before the windows ptxas took 40, 72, 168 and 248 for the same tilings, growing with the stage's depth.
    [InlineData("f16", "block=64x64 thread=16x16 reduce=16 shared=A,B mma=m16n8k16")]
    [InlineData("f16", "block=128x128 thread=32x32 reduce=16 shared=A,B mma=m16n8k16")]
    [InlineData("f16", "block=128x128 thread=64x32 reduce=32 shared=A,B mma=m16n8k16")]
    [InlineData("f16", "block=128x128 thread=64x64 reduce=16 shared=A,B mma=m16n8k16")]
    // Pipelined, copying by cp.async: 165 registers (estimate 176; through registers, at 489c546, 168 and 188 estimated
    // with half of the 24 values a thread prefetched held at once).
    [InlineData("f16", "block=128x128 thread=64x64 reduce=16 shared=A,B mma=m16n8k16 buffers=2 prefetch=1")]
    // TF32: 40 and 64 registers (estimates 44 and 64; before the windows, 64 and 128).
    [InlineData("f32", "block=64x128 thread=16x32 reduce=16 shared=A,B mma=m16n8k8tf32")]
    [InlineData("f32", "block=128x128 thread=32x32 reduce=32 shared=A,B mma=m16n8k8tf32")]
    public void The_estimate_is_within_a_quarter_of_ptxas(string dtype, string schedule)
    {
        var op = Gemm(dtype);
        var parsed = Schedule.Parse(schedule);
        var estimate = TensorCoreTiling.Of(op, parsed).Tiling!.RegistersPerThread;

        var result = Compile(op, parsed);

        Assert.True(result.Resources is { Spills: false }, result.Error ?? "it spills");
        Assert.InRange((double)estimate / result.Resources.Registers, 0.75, 1.25);
    }

    [Fact]
    public void A_block_over_the_register_file_is_illegal_for_its_registers()
    {
        // 16 warps of 64x32 tiles: ptxas takes 95 registers a thread, 97,280 for the block's 1,024 threads,
        // more than sm_90's 65,536; the estimate (104) rules it out too.
        var op = Gemm("f16");
        var parsed = Schedule.Parse("block=256x256 thread=64x32 reduce=16 shared=A,B mma=m16n8k16");

        var result = Compile(op, parsed);

        Assert.True(result.Resources is { Spills: false }, result.Error ?? "it spills");
        Assert.True(result.Resources.Registers * 1024 > BuiltInProfiles.H100.RegistersPerMultiprocessor, $"{result.Resources.Registers} registers fit");
        Assert.Contains("registers per block (fragments and accumulators)", Legality.Check(op, parsed, BuiltInProfiles.H100));
    }

    [Fact]
    public void Cp_async_copies_keep_the_operands_in_registers()
    {
        // ptxas 11.8 leaves every inline-assembly operand slot in local memory once a kernel has a cp.async (a 1,528-byte
        // stack frame and hundreds of STL and LDL around the MMAs): PtxLocalPromotion turns them into registers first.
        var result = Compile(Gemm("f16"), Schedule.Parse("block=128x128 thread=64x32 reduce=32 shared=A,B mma=m16n8k16 buffers=2 prefetch=1"));

        var resources = result.Resources;
        Assert.True(resources?.Instructions is not null, result.Error ?? "no resources");
        // 2 units of A and 2 of B a thread, in the prologue and in the loop; no global load passes through registers.
        Assert.Equal((8, 0), (resources.Instructions.Ldgsts, resources.Instructions.Ldg));
        Assert.Equal(0, resources.StackFrameBytes);
        Assert.False(resources.Instructions.Opcodes.ContainsKey("STL") || resources.Instructions.Opcodes.ContainsKey("LDL"), "local memory in the SASS");
    }

    [Theory]
    // ptxas 11.8, sm_90, before ldmatrix: 123 instructions for 32 HMMA and 56 loads (24 LDG, 32 LDS), 24 stores and the
    // loop's control. Indexing whole views instead of windows took 215: a 64-bit multiply-add or LEA per global load and
    // shared access. An ldmatrix (LDSM, all of them in the main loop) moves what 4 LDS did, so it counts as 4 loads here.
    [InlineData("f16", "block=128x128 thread=64x64 reduce=16 shared=A,B mma=m16n8k16")]
    [InlineData("bf16", "block=128x256 thread=64x64 reduce=32 shared=A,B mma=m16n8k16")]
    [InlineData("f32", "block=128x128 thread=32x32 reduce=32 shared=A,B mma=m16n8k8tf32")]
    public void The_main_loop_has_no_address_arithmetic_per_access(string dtype, string schedule)
    {
        var op = Gemm(dtype);
        var parsed = Schedule.Parse(schedule);
        var tiling = TensorCoreTiling.Of(op, parsed).Tiling!;

        var result = Compile(op, parsed);

        var loop = result.Resources?.Instructions?.MainLoop;
        Assert.True(loop is not null, result.Error ?? "no main loop");
        // One stage, or several where ptxas unrolls the loop (it did the single-buffered f16 one 4 times when it copied by cp.async).
        Assert.True(loop.Hmma > 0 && loop.Hmma % tiling.MmasPerWarpStage == 0, $"{loop.Hmma} HMMA in the loop, {tiling.MmasPerWarpStage} a stage");
        // Besides MMAs and loads (a cp.async, LDGSTS, is one): TF32's store and rounding per copied word, barriers, the loop's control.
        var loadsByWord = loop.Loads + (3 * result.Resources!.Instructions!.Ldsm);
        Assert.True(loop.Instructions <= 2 * (loop.Hmma + loadsByWord), $"{loop.Instructions} instructions for {loop.Hmma} HMMA and {loadsByWord} 32-bit loads");
    }
}
