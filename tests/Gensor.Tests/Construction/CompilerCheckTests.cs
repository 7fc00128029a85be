using Gensor.Backend.Inspection;
using Gensor.Construction;
using Gensor.Construction.Cost;
using Gensor.Construction.Feedback;
using Gensor.Construction.Policies;
using Gensor.Etir;
using Gensor.Feedback;
using Gensor.FrontEnd;
using Gensor.Hardware;
using Gensor.Tests.Support;
using Gensor.Tuning.Reports;

namespace Gensor.Tests.Construction;

/// <summary>
/// Construction's compiler check: the leading candidates' kernels as ptxas compiles
/// them decide which survive (no spills) and how they rank (real registers).
/// </summary>
public class CompilerCheckTests
{
    private static readonly Operator Gemm = OperatorBuilder.Build(SpecReader.FromInline("C[m,n] += A[m,k] * B[k,n]", "m=1024,n=1024,k=1024", "gemm", null));

    // ResNet-50 batch 32's s1_reduce_first, DRAM-bound under the model for h100. A GEMV's leading
    // candidates, which these tests used, launch about two blocks per SM, which 255 registers still hold.
    private static readonly Operator S1ReduceFirst = OperatorBuilder.Build(SpecReader.FromInline("O[b,f,y,x] += I[b,c,y,x] * W[f,c]", "b=32,f=64,y=56,x=56,c=64", "s1_reduce_first", null));

    private static readonly Operator S4Expand = OperatorBuilder.Build(SpecReader.FromInline("O[b,f,y,x] += I[b,c,y,x] * W[f,c]", "b=1,f=2048,y=7,x=7,c=1024", "s4_expand", null));

    [Fact]
    public void A_kernel_that_spills_is_dropped_and_the_rest_are_estimated_with_their_real_registers()
    {
        var model = new GensorPolicy().Construct(Gemm, BuiltInProfiles.H100, new ConstructionOptions(8, 0));
        var spilling = model.Candidates[0].Schedule;
        var compiler = new ScriptedCompiler(s => s == spilling ? Resources(255, spillBytes: 64) : Resources(64, 0));

        var result = new CompilerCheckedPolicy(new GensorPolicy(), compiler).Construct(Gemm, BuiltInProfiles.H100, new ConstructionOptions(3, 0));

        Assert.DoesNotContain(result.Candidates, c => c.Schedule == spilling);
        Assert.Equal(1, result.Check!.Dropped);
        Assert.All(result.Candidates, c =>
        {
            Assert.Equal(64, c.Compiled!.Registers);
            Assert.Equal(CostModel.EstimateMs(Gemm, c.Schedule, BuiltInProfiles.H100, 64), c.EstimatedMs);
        });
        Assert.Equal(result.Candidates.OrderBy(c => c.EstimatedMs).Select(c => c.Schedule), result.Candidates.Select(c => c.Schedule));
    }

    [Fact]
    public void Real_registers_that_cut_occupancy_move_a_memory_bound_candidate_down()
    {
        // A DRAM-bound product: what hides the latency of its loads is the number of threads resident.
        var model = new GensorPolicy().Construct(S1ReduceFirst, BuiltInProfiles.H100, new ConstructionOptions(8, 0));
        var first = model.Candidates[0].Schedule;
        // The model's first choice, compiled to the most registers a thread can have, loses half its resident threads.
        var compiler = new ScriptedCompiler(s => s == first ? Resources(255, 0) : Resources(32, 0));

        var result = new CompilerCheckedPolicy(new GensorPolicy(), compiler).Construct(S1ReduceFirst, BuiltInProfiles.H100, new ConstructionOptions(8, 0));

        Assert.NotEqual(first, result.Candidates[0].Schedule);
        Assert.Equal(0, result.Check!.Dropped);
    }

    [Fact]
    public void A_kernel_whose_real_registers_break_the_occupancy_goal_is_dropped()
    {
        // A profile asking for 512 resident threads: the model's leading candidate, estimated to allow
        // that, compiled to 255 registers leaves room for one block of at most 256 threads.
        var profile = BuiltInProfiles.H100 with { OccupancyGoalThreads = 512 };
        var model = new GensorPolicy().Construct(Gemm, profile, new ConstructionOptions(8, 0));
        var overLimit = model.Candidates[0].Schedule;
        Assert.NotNull(Legality.CheckRegisters(Gemm, overLimit, profile, 255));
        var compiler = new ScriptedCompiler(s => s == overLimit ? Resources(255, 0) : Resources(64, 0));

        var result = new CompilerCheckedPolicy(new GensorPolicy(), compiler).Construct(Gemm, profile, new ConstructionOptions(8, 0));

        Assert.DoesNotContain(result.Candidates, c => c.Schedule == overLimit);
        Assert.Equal((0, 1), (result.Check!.Dropped, result.Check.DroppedOverLimit));
        Assert.Contains("1 dropped for registers past the register file or the occupancy goal", CompilerCheckJson.Describe(result.Check));
        Assert.Equal(1, (int)CompilerCheckJson.Summary(result.Check)["dropped_registers"]!);
    }

    [Theory]
    [InlineData("block=1x64x16 thread=1x2x4 reduce=256 shared=I rthreads=4", 165, "84480 registers per block (compiled) exceed the 65536 of a multiprocessor")]
    [InlineData("block=1x64x16 thread=1x2x4 reduce=256 shared=I rthreads=4", 64, null)]
    // 192 threads at 255 registers: one block, 192 threads resident.
    [InlineData("block=1x24x16 thread=1x2x1 reduce=256 shared=I", 255, "only 192 threads fit a multiprocessor (limited by registers), below the occupancy goal of 256")]
    public void Compiled_registers_are_checked_against_the_register_file_and_the_occupancy_goal(string schedule, int registers, string? reason)
    {
        Assert.Equal(reason, Legality.CheckRegisters(S4Expand, Schedule.Parse(schedule), BuiltInProfiles.H100, registers));
    }

    [Fact]
    public void When_every_kernel_spills_the_least_spilling_come_first_rather_than_nothing()
    {
        var model = new GensorPolicy().Construct(Gemm, BuiltInProfiles.H100, new ConstructionOptions(8, 0));
        var least = model.Candidates[5].Schedule;
        var compiler = new ScriptedCompiler(s => Resources(255, s == least ? 8 : 512));

        var result = new CompilerCheckedPolicy(new GensorPolicy(), compiler).Construct(Gemm, BuiltInProfiles.H100, new ConstructionOptions(2, 0));

        Assert.Equal(least, result.Candidates[0].Schedule);
        Assert.Equal(2, result.Candidates.Count);
    }

    [Fact]
    public void When_every_checked_kernel_spills_the_next_ranks_are_compiled_and_one_that_does_not_spill_wins()
    {
        var model = new GensorPolicy().Construct(Gemm, BuiltInProfiles.H100, new ConstructionOptions(CompilerCheckedPolicy.DefaultChecked, 0));
        var firstRound = model.Candidates.Select(c => c.Schedule).ToHashSet();
        var compiler = new ScriptedCompiler(s => firstRound.Contains(s) ? Resources(255, 64) : Resources(128, 0));

        var result = new CompilerCheckedPolicy(new GensorPolicy(), compiler).Construct(Gemm, BuiltInProfiles.H100, new ConstructionOptions(3, 0));

        Assert.Equal(2 * CompilerCheckedPolicy.DefaultChecked, result.Check!.Kernels.Count);
        Assert.Equal(CompilerCheckedPolicy.DefaultChecked, result.Check.Dropped);
        Assert.All(result.Candidates, c => Assert.DoesNotContain(c.Schedule, firstRound));
        Assert.Equal(128, result.Candidates[0].Compiled!.Registers);
    }

    [Fact]
    public void After_a_round_that_spilled_the_next_takes_only_kernels_estimated_to_need_fewer_registers()
    {
        // As ptxas did for resnet50 batch 32's s1_expand: the leading ranks are one large tile in
        // variants, and every kernel the model puts at their register estimate or above spills.
        var analysis = Gensor.Construction.Space.ScheduleSpace.For(Gemm).Analysis;
        var model = new GensorPolicy().Construct(Gemm, BuiltInProfiles.H100, new ConstructionOptions(CompilerCheckedPolicy.DefaultChecked, 0));
        var firstRound = model.Candidates.Select(c => c.Schedule).ToHashSet();
        var lowest = firstRound.Min(analysis.RegistersPerThread);
        var compiler = new ScriptedCompiler(s => firstRound.Contains(s) || analysis.RegistersPerThread(s) >= lowest
            ? Resources(255, 512)
            : Resources(analysis.RegistersPerThread(s), 0));

        var result = new CompilerCheckedPolicy(new GensorPolicy(), compiler).Construct(Gemm, BuiltInProfiles.H100, new ConstructionOptions(3, 0));

        var later = result.Check!.Kernels.Skip(CompilerCheckedPolicy.DefaultChecked).ToArray();
        Assert.Equal(CompilerCheckedPolicy.DefaultChecked, later.Length);
        Assert.All(later, k => Assert.True(analysis.RegistersPerThread(k.Schedule) < lowest, k.Schedule.ToString()));
        Assert.All(later, k => Assert.False(k.Resources!.Spills));
        Assert.All(result.Candidates, c => Assert.False(c.Compiled!.Spills));
    }

    [Fact]
    public void When_real_registers_put_the_first_round_behind_the_next_candidates_those_are_compiled_too()
    {
        // As ptxas did for GPT-2's MLP-up: the leading candidates compile to far more registers than
        // estimated, which costs them occupancy (here a memory-bound product's), and the model rates the
        // next ones better than them.
        var model = new GensorPolicy().Construct(S1ReduceFirst, BuiltInProfiles.H100, new ConstructionOptions(CompilerCheckedPolicy.DefaultChecked, 0));
        var firstRound = model.Candidates.Select(c => c.Schedule).ToHashSet();
        var compiler = new ScriptedCompiler(s => Resources(firstRound.Contains(s) ? 255 : 32, 0));

        var result = new CompilerCheckedPolicy(new GensorPolicy(), compiler).Construct(S1ReduceFirst, BuiltInProfiles.H100, new ConstructionOptions(3, 0));

        Assert.Equal(2 * CompilerCheckedPolicy.DefaultChecked, result.Check!.Kernels.Count);
        Assert.DoesNotContain(result.Candidates[0].Schedule, firstRound);
        Assert.Equal(32, result.Candidates[0].Compiled!.Registers);
    }

    [Fact]
    public void The_rounds_stop_after_the_last_one_even_if_every_kernel_spilled()
    {
        var compiler = new ScriptedCompiler(_ => Resources(255, 64));

        var result = new CompilerCheckedPolicy(new GensorPolicy(), compiler).Construct(Gemm, BuiltInProfiles.H100, new ConstructionOptions(3, 0));

        // Each round after the first takes only kernels estimated below every spilled one, which may run out.
        Assert.InRange(result.Check!.Kernels.Count, CompilerCheckedPolicy.DefaultChecked + 1, CompilerCheckedPolicy.MaxRounds * CompilerCheckedPolicy.DefaultChecked);
        Assert.Equal(3, result.Candidates.Count);
        Assert.All(result.Candidates, c => Assert.True(c.Compiled!.Spills));
        // The report line must not say "none spilled" when nothing was dropped only because nothing better was left.
        Assert.Contains($"all {result.Check.Kernels.Count} read back spilled", CompilerCheckJson.Describe(result.Check));
    }

    [Fact]
    public void A_kernel_the_tools_refuse_keeps_the_models_estimate()
    {
        var model = new GensorPolicy().Construct(Gemm, BuiltInProfiles.H100, new ConstructionOptions(8, 0));
        var compiler = new ScriptedCompiler(_ => null);

        var result = new CompilerCheckedPolicy(new GensorPolicy(), compiler).Construct(Gemm, BuiltInProfiles.H100, new ConstructionOptions(3, 0));

        Assert.Equal(model.Candidates.Take(3), result.Candidates);
        Assert.Equal(0, result.Check!.Compiled);
    }

    [Fact]
    public void With_ptxas_every_leading_candidate_comes_back_with_its_registers_and_none_spills()
    {
        var small = OperatorBuilder.Build(SpecReader.FromInline("C[m,n] += A[m,k] * B[k,n]", "m=256,n=256,k=256", "gemm", null));
        var compiler = new NvidiaCompilerFeedback(InstalledTools.Require(), disassemble: false);

        var result = new CompilerCheckedPolicy(new GensorPolicy(), compiler, checkedCount: 3).Construct(small, BuiltInProfiles.H100, new ConstructionOptions(3, 0));

        // A round of 3, and more while ptxas's registers leave the next candidates rated better.
        Assert.InRange(result.Check!.Compiled, 3, 3 * CompilerCheckedPolicy.MaxRounds);
        Assert.StartsWith("ptxas ", result.Check.Tool);
        Assert.All(result.Candidates, c =>
        {
            Assert.True(c.Compiled is { Registers: > 0, Spills: false, Instructions: null }, c.Schedule.ToString());
            Assert.Equal(CostModel.EstimateMs(small, c.Schedule, BuiltInProfiles.H100, c.Compiled!.Registers), c.EstimatedMs);
        });
    }

    private static KernelResources Resources(int registers, int spillBytes) => new(
        "sm_90", "kernel", registers, 0, spillBytes, spillBytes, 0, null, null,
        new ToolIdentity("ptxas", "11.8", null), new InspectionTimings(1, 1, 0));

    /// <summary>A compiler whose answers the test gives, to pin down what the check does with each kind of answer.</summary>
    private sealed class ScriptedCompiler(Func<Schedule, KernelResources?> answer) : ICompilerFeedback
    {
        public IReadOnlyList<KernelFeedback> Inspect(Operator op, IReadOnlyList<Schedule> schedules, HardwareProfile profile) =>
            [.. schedules.Select(s => answer(s) is { } r ? new KernelFeedback(s, r, null, 1) : new KernelFeedback(s, null, "refused", 1))];
    }
}
