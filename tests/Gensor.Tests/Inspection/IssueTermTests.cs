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
    // GPT-2's QKV projection, its pick on h100 at 41d901e (A read in lane runs, B staged): 2,217 instructions a
    // stage against a main loop of 2,242, multiply-adds 92.4% against 91.3%.
    [InlineData(1024, 2304, 768, "block=64x32 thread=8x8 reduce=128 shared=B vector=4 pad=4 prefetch=1 buffers=2 rthreads=4")]
    // Issue 9's 1024x3072x1024 product, its pick on h100 at 41d901e (A staged, B read from global memory):
    // 2,289 against 2,312, 89.5% against 88.6%.
    [InlineData(1024, 3072, 1024, "block=128x64 thread=8x8 vthread=1x2 reduce=32 shared=A vector=4 pad=4 prefetch=1 buffers=2")]
    public void A_gemms_stage_issues_what_its_sass_main_loop_holds(int m, int n, int k, string schedule)
    {
        AssertStageMatchesMainLoop(TestOperators.Gemm(m, n, k), schedule, instructions: 0.05, share: 0.04);
    }

    [Theory]
    // Batch-32 ResNet-50's s4_conv3x3_stride2, its pick on h100 at 41d901e (I and W staged, I padded and
    // strided: 7 chunks of I a thread, each with carries between three copy runs and a bounds check): a main
    // loop of 1,020 instructions, 56.5% multiply-adds; the model counts 933 (61.7%), 719 (80%) before it
    // counted the carries. Convolutions' copies vary more than a GEMM's: 10% and 6 points.
    [InlineData(32, 512, 512, 14, 2, "block=16x64x1x4 thread=4x16x1x1 vthread=2x1x1x1 reduce=1x3x3 shared=I,W vector=2 pad=4 prefetch=1 buffers=2 split=4")]
    // Batch-32's s2_conv3x3 at 41d901e (I padded; stride 1): a main loop of 3,000 instructions, 76.8%
    // multiply-adds; the model counts 2,858 (80.6%), before the carries 86%.
    [InlineData(32, 128, 128, 28, 1, "block=8x64x4x4 thread=4x16x1x1 vthread=1x1x1x1 reduce=4x3x3 shared=I,W vector=2 pad=4 prefetch=1 buffers=2")]
    public void A_padded_convolutions_stage_issues_what_its_sass_main_loop_holds(int batch, int inChannels, int outChannels, int side, int stride, string schedule) =>
        AssertStageMatchesMainLoop(TestOperators.Conv2d(batch, inChannels, outChannels, side, 3, stride, 1), schedule, instructions: 0.10, share: 0.06);

    private static void AssertStageMatchesMainLoop(Operator op, string schedule, double instructions, double share)
    {
        var parsed = Schedule.Parse(schedule);
        var issue = CostModel.Breakdown(op, parsed, BuiltInProfiles.H100).Issue;

        var result = new NvidiaCompilerFeedback(InstalledTools.Require()).Inspect(op, [parsed], BuiltInProfiles.H100).Single();

        var loop = result.Resources?.Instructions?.MainLoop;
        Assert.True(loop is not null, result.Error ?? "no main loop");
        Assert.Equal(issue.FmaPerStage, (double)loop.Ffma);
        Assert.InRange(issue.InstructionsPerStage / loop.Instructions, 1 - instructions, 1 + instructions);
        Assert.InRange(issue.FmaFraction - loop.MathShare, -share, share);
    }
}
