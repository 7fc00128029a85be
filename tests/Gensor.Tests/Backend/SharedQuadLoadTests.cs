using Gensor.Analysis;
using Gensor.Backend.Lowering;
using Gensor.Backend.Lowering.Ir;
using Gensor.Construction;
using Gensor.Etir;
using Gensor.FrontEnd;
using Gensor.Hardware;
using Gensor.Tests.Construction;
using Gensor.Tests.Support;
using Xunit;

namespace Gensor.Tests.Backend;

/// <summary>
/// Staged operands load four at a time (one 128-bit shared load) where four of a thread's
/// operands sit side by side in the stored box and every offset the kernel adds keeps them
/// aligned: along the thread tile, or along a reduce lane's run of four points where the box
/// is contiguous along the innermost reduce axis (a GEMV's x). The cost model counts the loads
/// the lowering makes.
/// </summary>
[Collection(CpuDeviceCollection.Name)]
public sealed class SharedQuadLoadTests(CpuDeviceFixture fixture)
{
    private static IrExpr.Load[] SharedLoads(EtirState state) =>
        [.. KernelLoads.Of(KernelLowering.Lower(state)).Where(load => load.Buffer.Scope == BufferScope.Shared)];

    [Theory]
    // x[j] staged alone (A too, stored j-major): a lane's run of 4 j is one quad of x.
    [InlineData("block=16 thread=1 reduce=32 shared=A,x rthreads=4", 4, 4)]
    // Runs of 2 (a step of 16 over 8 lanes, taken for A's 64-bit global loads) stay scalar in shared memory: 2 loads of x per body.
    [InlineData("block=8 thread=1 reduce=16 shared=x rthreads=8", 2, 1)]
    public void A_lanes_run_over_a_box_contiguous_along_k_loads_as_quads(string schedule, int run, int width)
    {
        var op = OperatorBuilder.Build(SpecReader.FromInline("y[i] += A[i,j] * x[j]", "i=64,j=128", "gemv", null));
        var state = new EtirState(op, Schedule.Parse(schedule));
        Assert.Null(Legality.Check(state.Operator, state.Schedule, BuiltInProfiles.Cpu));
        Assert.Equal(run, OperatorAnalysis.Of(op).ReduceLaneRun(state.Schedule));

        var ofX = SharedLoads(state).Where(load => load.Buffer.Tensor == "x").ToArray();
        Assert.Equal(run / width, ofX.Length);
        Assert.All(ofX, load => Assert.Equal(width, load.Width));

        var measurement = fixture.Run(state, "SharedQuads", seed: 19);
        Assert.True(measurement.Verified, measurement.Error);
    }

    [Theory]
    [InlineData("C[m,n] += A[m,k] * B[k,n]", "m=64,n=128,k=64")]
    [InlineData("y[i] += A[i,j] * x[j]", "i=256,j=512")]
    [InlineData("O[b,f,y,x] += I[b,c,y,x] * W[f,c]", "b=1,f=64,y=8,x=8,c=32")]
    public void The_lowering_makes_the_shared_loads_the_cost_model_counts(string compute, string shape)
    {
        var op = OperatorBuilder.Build(SpecReader.FromInline(compute, shape, "op", null));
        var analysis = OperatorAnalysis.Of(op);
        int quads = 0, alongLaneRuns = 0;
        foreach (var schedule in RandomSchedules.Draw(op, new Random(7), 300, BuiltInProfiles.H100))
        {
            var loads = SharedLoads(new EtirState(op, schedule));
            var laneRun = analysis.ReduceLaneRun(schedule);
            for (var r = 0; r < analysis.ReadCount; r++)
            {
                if (!schedule.IsShared(analysis.ReadTensor(r)))
                {
                    continue;
                }
                // One lowered body is a lane's run of reduce points.
                var counted = analysis.SharedLoadsPerPoint(r, schedule) * laneRun;
                var ofRead = loads.Where(load => load.Buffer.Tensor == analysis.ReadTensor(r)).ToArray();
                Assert.Equal(counted, ofRead.Length);
                quads += ofRead.Any(load => load.Width == 4) ? 1 : 0;
                alongLaneRuns += laneRun == 4 && ofRead.Any(load => load.Width == 4) && analysis.ReadTensor(r) == "x" ? 1 : 0;
            }
        }
        Assert.True(quads > 0);
        if (compute.StartsWith('y'))
        {
            // The GEMV's x is contiguous along j in its box: some draws load it along lane runs.
            Assert.True(alongLaneRuns > 0);
        }
    }
}
