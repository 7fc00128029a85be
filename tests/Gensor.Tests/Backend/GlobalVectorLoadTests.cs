using Gensor.Backend.Lowering;
using Gensor.Backend.Lowering.Ir;
using Gensor.Analysis;
using Gensor.Construction;
using Gensor.Etir;
using Gensor.FrontEnd;
using Gensor.Hardware;
using Gensor.Tests.Construction;
using Gensor.Tests.Support;
using Xunit;

namespace Gensor.Tests.Backend;

/// <summary>
/// An operand read straight from global memory (not staged) is loaded several elements at a
/// time where a thread's tile holds consecutive elements of it and every address the kernel
/// forms for it is a multiple of the vector: one 128-bit (or 64-bit) load instead of four (or
/// two) scalar ones. Where a bound is checked, or the addresses are not aligned, the loads stay
/// scalar. Either way the kernel matches the reference.
/// </summary>
[Collection(CpuDeviceCollection.Name)]
public sealed class GlobalVectorLoadTests(CpuDeviceFixture fixture)
{
    [Theory]
    // B's row of 4 consecutive columns per thread; thread, block, stage and point offsets all multiples of 4.
    [InlineData(16, 64, 16, "block=8x32 thread=2x4 reduce=8 shared=A", 4, 1)]
    // Two virtual threads split the 4 columns into pairs 16 apart: 64-bit loads.
    [InlineData(16, 64, 16, "block=8x32 thread=2x4 vthread=1x2 reduce=8 shared=A", 2, 2)]
    // Rows of 18: every address is even but not a multiple of 4, so a thread's 6 columns are 3 pairs.
    [InlineData(12, 18, 8, "block=4x6 thread=1x6 reduce=4", 2, 3)]
    // 30 columns in blocks of 16: the last block's columns are checked, so scalar loads.
    [InlineData(8, 30, 8, "block=8x16 thread=2x4 reduce=8 shared=A", 1, 0)]
    // Rows of 63: a thread's 3 columns start at odd addresses on every other row.
    [InlineData(8, 63, 8, "block=8x63 thread=1x3 reduce=8 shared=A", 1, 0)]
    public void Unstaged_operands_load_as_vectors_where_aligned(int m, int n, int k, string schedule, int width, int vectorLoads)
    {
        var op = TestOperators.Gemm(m, n, k);
        var state = new EtirState(op, Schedule.Parse(schedule));

        var kernel = KernelLowering.Lower(state);
        var loads = KernelLoads.Of(kernel)
            .Where(load => load.Buffer.Scope == BufferScope.Global && load.Buffer.Tensor == "B")
            .ToArray();
        var vectors = loads.Where(load => load.Width > 1).ToArray();
        Assert.Equal(vectorLoads, vectors.Length);
        Assert.All(vectors, load => Assert.Equal(width, load.Width));
        if (width > 1)
        {
            Assert.DoesNotContain(loads, load => load.Width == 1);
        }

        var measurement = fixture.Run(state, "GlobalVectors", seed: 11);

        Assert.True(measurement.Verified, measurement.Error);
    }

    [Theory]
    // A's rows are contiguous along k: 4 reduce lanes each take 4 consecutive k, one 128-bit load per row and run.
    [InlineData("C[m,n] += A[m,k] * B[k,n]", "m=16,n=32,k=64", "block=8x16 thread=2x2 reduce=32 shared=B rthreads=4", "A", 4)]
    // Batch-1 ResNet-50 s2_reduce's pick for h100, shrunk: W's rows along c, I staged.
    [InlineData("O[b,f,p] += I[b,c,p] * W[f,c]", "b=1,f=16,p=64,c=64", "block=1x16x16 thread=1x2x4 reduce=32 shared=I prefetch=1 rthreads=4", "W", 4)]
    // A step of 16 over 8 lanes: one round of runs of 2 (runs of 4 would take a step of 32).
    [InlineData("C[m,n] += A[m,k] * B[k,n]", "m=16,n=32,k=64", "block=8x16 thread=2x2 reduce=16 shared=B rthreads=8", "A", 2)]
    // 40 along k in stages of 32: the last stage runs past k, so the lanes take every 4th k and load one each.
    [InlineData("C[m,n] += A[m,k] * B[k,n]", "m=16,n=32,k=40", "block=8x16 thread=2x2 reduce=32 shared=B rthreads=4", "A", 1)]
    public void Reduce_lanes_take_runs_of_consecutive_points_that_load_as_one_vector(string compute, string shape, string schedule, string tensor, int run)
    {
        var op = OperatorBuilder.Build(SpecReader.FromInline(compute, shape, "op", null));
        var state = new EtirState(op, Schedule.Parse(schedule));
        Assert.Null(Legality.Check(state.Operator, state.Schedule, BuiltInProfiles.Cpu));
        var analysis = OperatorAnalysis.Of(op);
        Assert.Equal(run, analysis.ReduceLaneRun(state.Schedule));

        var loads = KernelLoads.Of(KernelLowering.Lower(state))
            .Where(load => load.Buffer.Scope == BufferScope.Global && load.Buffer.Tensor == tensor).ToArray();
        Assert.NotEmpty(loads);
        Assert.All(loads, load => Assert.Equal(run, load.Width));

        var measurement = fixture.Run(state, "LaneRuns", seed: 17);
        Assert.True(measurement.Verified, measurement.Error);
    }

    [Theory]
    [InlineData("C[m,n] += A[m,k] * B[k,n]", "m=64,n=128,k=64")]
    [InlineData("O[b,f,y,x] += I[b,c,y,x] * W[f,c]", "b=1,f=64,y=8,x=8,c=32")]
    [InlineData("O[h,i,d] += P[h,i,j] * V[h,j,d]", "h=2,i=32,d=16,j=32")]
    public void The_lowering_loads_what_the_cost_model_counts(string compute, string shape)
    {
        // The model counts one load per run of OperatorAnalysis.GlobalVectorWidth operands: the kernel must make exactly those.
        // A reduce point's body holds a lane's run of points (OperatorAnalysis.ReduceLaneRun): their operands are its loads.
        var op = OperatorBuilder.Build(SpecReader.FromInline(compute, shape, "op", null));
        var analysis = OperatorAnalysis.Of(op);
        int vectorized = 0, alongLaneRuns = 0;
        foreach (var schedule in RandomSchedules.Draw(op, new Random(5), 300, BuiltInProfiles.H100))
        {
            var loads = KernelLoads.Of(KernelLowering.Lower(new EtirState(op, schedule))).Where(load => load.Buffer.Scope == BufferScope.Global).ToArray();
            var point = new int[analysis.AxisCount];
            analysis.ThreadPointTile(schedule, point);
            for (var r = 0; r < analysis.ReadCount; r++)
            {
                if (schedule.IsShared(analysis.ReadTensor(r)))
                {
                    continue;
                }
                var width = analysis.GlobalVectorWidth(r, schedule);
                var laneRun = analysis.ReduceLaneRun(schedule);
                var ofRead = loads.Where(load => load.Buffer.Tensor == analysis.ReadTensor(r)).ToArray();
                Assert.All(ofRead, load => Assert.Equal(width, load.Width));
                Assert.Equal(analysis.Footprint(r, point, clamp: false) * laneRun / width, ofRead.Length);
                vectorized += width > 1 ? 1 : 0;
                alongLaneRuns += width > 1 && laneRun > 1 && analysis.AddressStride(r, analysis.SpatialRank + analysis.ReduceRank - 1) == 1 ? 1 : 0;
            }
        }
        Assert.True(vectorized > 0);
        // Each operator has a read contiguous along its innermost reduce axis (A, W, P): some draws load it along lane runs.
        Assert.True(alongLaneRuns > 0);
    }
}
