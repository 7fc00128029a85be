using Gensor.Backend.Inspection;
using Gensor.Construction.Cost;
using Gensor.Etir;
using Gensor.Hardware;
using Gensor.Tests.Construction;
using Gensor.Tests.Support;

namespace Gensor.Tests.Inspection;

/// <summary>
/// The cost model's issue term (instructions a thread issues per stage, and the multiply-adds' share of
/// them) against what ptxas makes of the same kernel: for a stage compiled as one loop, the SASS main loop
/// is that stage. The SASS table's `model FMA %` column makes the same comparison for every suite pick.
/// </summary>
public sealed class IssueTermTests
{
    [Theory]
    // GPT-2's QKV projection, its pick on h100 (A read in lane runs, B staged): 2,209 instructions a stage
    // against a main loop of 2,242 at 3ee1587, multiply-adds 92.7% against 91.3%.
    [InlineData(1024, 2304, 768, "block=64x32 thread=8x8 reduce=128 shared=B vector=4 pad=4 prefetch=1 buffers=2 rthreads=4")]
    // Issue 9's 1024x3072x1024 product, its pick on h100 (A staged, B read from global memory): 2,233
    // against 2,312, 91.7% against 88.6%.
    [InlineData(1024, 3072, 1024, "block=128x64 thread=8x8 vthread=1x2 reduce=32 shared=A vector=4 pad=4 prefetch=1 buffers=2")]
    public void A_gemms_stage_issues_what_its_sass_main_loop_holds(int m, int n, int k, string schedule)
    {
        var op = TestOperators.Gemm(m, n, k);
        var parsed = Schedule.Parse(schedule);
        var issue = CostModel.Breakdown(op, parsed, BuiltInProfiles.H100).Issue;

        var result = new NvidiaCompilerFeedback(InstalledTools.Require()).Inspect(op, [parsed], BuiltInProfiles.H100).Single();

        var loop = result.Resources?.Instructions?.MainLoop;
        Assert.True(loop is not null, result.Error ?? "no main loop");
        Assert.Equal(issue.FmaPerStage, (double)loop.Ffma);
        Assert.InRange(issue.InstructionsPerStage / loop.Instructions, 0.95, 1.05);
        Assert.InRange(issue.FmaFraction - loop.MathShare, -0.04, 0.04);
    }
}
