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
/// An unstaged read loads through a window of its tensor (an ILGPU sub-view) that starts at the
/// thread's first operand of the stage, or of each iteration of the rolled reduce loop: every
/// load is then the window plus a constant, which ptxas folds into the load's address instead
/// of a 64-bit multiply-add per load. Where the window could start outside the tensor (a checked
/// bound, a ragged last stage) or a load would fall before it (a negative offset), the window
/// may start outside: the CPU accelerator checks a sub-view's bounds, so there the printed
/// kernel indexes the whole tensor from the window's offset, and only CUDA cuts the sub-view.
/// </summary>
[Collection(CpuDeviceCollection.Name)]
public sealed class WindowTests(CpuDeviceFixture fixture)
{
    [Theory]
    // The whole stage unrolled: one window per stage, every load a constant into it.
    [InlineData(16, 64, 16, "block=8x32 thread=2x4 reduce=8 shared=A", false)]
    // 1024 points, 16 per iteration of the rolled loop: one window per unrolled copy, at the loop variable.
    [InlineData(16, 16, 1024, "block=8x8 thread=1x1 reduce=1024", true)]
    public void Unstaged_reads_load_a_constant_into_a_window(int m, int n, int k, string schedule, bool rolled)
    {
        var op = TestOperators.Gemm(m, n, k);
        var state = new EtirState(op, Schedule.Parse(schedule));

        var kernel = CSharpKernelGenerator.Lower(state);
        var windows = kernel.Statements.OfType<IrStmt.DeclareWindow>().Where(w => w.Buffer.Name == "t_B").ToArray();
        Assert.NotEmpty(windows);
        Assert.All(windows, w => Assert.Equal(rolled, Assert.IsType<IrExpr.Linear>(w.Offset).Terms.Any(t => t.Variable.Name.StartsWith("g_kk", StringComparison.Ordinal))));
        var loads = KernelLoads.Of(kernel).Where(l => l.Buffer.Tensor == "B").ToArray();
        Assert.All(loads, load =>
        {
            Assert.Equal("g_gw1", load.Buffer.Name);
            Assert.True(load.Index is IrExpr.Int || load.Index is IrExpr.Linear { Terms.Length: 0 }, load.Index.ToString());
        });

        var measurement = fixture.Run(state, "Windows", seed: 7);

        Assert.True(measurement.Verified, measurement.Error);
    }

    [Theory]
    // Both operands staged, the stage unrolled whole (one window per read and stage, LDS.128 through the quad window)...
    [InlineData("C[m,n] += A[m,k] * B[k,n]", "m=32,n=32,k=32", "block=16x16 thread=4x4 reduce=8 shared=A,B vector=4", false)]
    // ...double-buffered (the window moves with the buffer)...
    [InlineData("C[m,n] += A[m,k] * B[k,n]", "m=32,n=32,k=64", "block=16x16 thread=4x4 reduce=8 shared=A,B vector=4 prefetch=1 buffers=2", false)]
    // ...and a convolution whose channels stay a rolled loop: a window per iteration, at the loop variable.
    [InlineData("O[f,y,x] += I[c,y+r-1,x+s-1] * W[f,c,r,s]", "f=8,y=8,x=8,c=32,r=3,s=3", "block=8x8x8 thread=4x2x1 reduce=32x3x3 shared=I,W", true)]
    public void Staged_reads_load_a_constant_from_a_window_of_shared_memory(string compute, string shape, string schedule, bool rolled)
    {
        // Indexing the whole buffer made every shared load an add and a shift (the 32-bit index is widened
        // before it is scaled): in a 3x3 convolution's main loop, 335 of 1,084 instructions for 576 FFMA.
        var op = Operators.Parse(compute, shape);
        var state = new EtirState(op, Schedule.Parse(schedule));

        var kernel = CSharpKernelGenerator.Lower(state);
        var windows = kernel.Statements.OfType<IrStmt.DeclareWindow>().Where(w => w.Buffer.Scope == BufferScope.Shared).ToArray();
        Assert.NotEmpty(windows);
        Assert.Contains(windows, w => Assert.IsType<IrExpr.Linear>(w.Offset).Terms.Any(t => t.Variable.Name.StartsWith("g_kk", StringComparison.Ordinal)) == rolled);
        var loads = KernelLoads.Of(kernel).Where(l => l.Buffer.Scope == BufferScope.Shared).ToArray();
        Assert.NotEmpty(loads);
        var inWindows = windows.SelectMany(w => ((IrExpr.Linear)w.Offset).Terms).Select(t => t.Variable).ToHashSet();
        Assert.All(loads, load =>
        {
            Assert.StartsWith("g_sw", load.Buffer.Name);
            // Only unrolled points (constants once printed) are left in the index: the thread's base, the
            // buffer and the rolled loops are the window's.
            Assert.All(Assert.IsType<IrExpr.Linear>(load.Index).Terms, t =>
            {
                Assert.StartsWith("g_kk", t.Variable.Name);
                Assert.DoesNotContain(t.Variable, inWindows);
            });
        });

        var measurement = fixture.Run(state, "SharedWindows", seed: 7);

        Assert.True(measurement.Verified, measurement.Error);
    }

    [Fact]
    public void A_read_that_loads_vectors_takes_a_window_of_its_vectors()
    {
        // A window cut from the elements loses the 16-byte alignment ILGPU needs for 128-bit loads (it split them into four).
        var op = TestOperators.Gemm(16, 64, 16);
        var state = new EtirState(op, Schedule.Parse("block=8x32 thread=2x4 reduce=8 shared=A"));

        var window = Assert.Single(KernelLowering.Lower(state).Statements.OfType<IrStmt.DeclareWindow>(), w => w.Buffer.Name == "t_B");

        Assert.Equal(4, window.Width);
        Assert.Contains("var g_gw1 = t_B_4.SubView(", CSharpKernelGenerator.Generate(state, "K").Text);
    }

    [Theory]
    // 13 points in stages of 8: the last stage's window starts at rows that do not exist.
    [InlineData("C[m,n] += A[m,k] * B[k,n]", "m=16,n=16,k=13", "block=8x8 thread=1x2 reduce=8 shared=A")]
    // 30 columns in blocks of 16: checked loads.
    [InlineData("C[m,n] += A[m,k] * B[k,n]", "m=16,n=30,k=8", "block=8x16 thread=1x2 reduce=8 shared=A")]
    // The reversed reduce axis: later points load before the window's start.
    [InlineData("C[m,n] += A[m,k] * B[7-k,n]", "m=16,n=16,k=8", "block=8x8 thread=1x2 reduce=8 shared=A")]
    // A padded convolution: the first row's window starts before the image.
    [InlineData("O[c,y,x] += I[c,y+r-1,x+s-1] * W[c,r,s]", "c=2,y=16,x=16,r=3,s=3", "block=1x8x16 thread=1x4x1 reduce=3x3")]
    public void A_window_that_may_start_outside_its_tensor_indexes_from_its_offset_off_CUDA(string compute, string shape, string schedule)
    {
        var op = Operators.Parse(compute, shape);
        var state = new EtirState(op, Schedule.Parse(schedule));

        var kernel = CSharpKernelGenerator.Lower(state);

        // The output's window and the staged copies' windows (g_cw) are another matter: only the unstaged reads' (g_gw).
        var window = Assert.Single(kernel.Statements.OfType<IrStmt.DeclareWindow>(), w => w.Window.Name.StartsWith("g_gw", StringComparison.Ordinal) && w.MayStartOutside);
        var text = CSharpKernelGenerator.Generate(state, "K").Text;
        Assert.Contains($"var {window.Window.Name} = global::ILGPU.Runtime.Cuda.CudaAsm.IsSupported ? ", text);
        Assert.Contains($"{window.Window.Name}[{window.Window.Name}_at + ", text);
        Assert.Null(Legality.Check(op, state.Schedule, BuiltInProfiles.Cpu));
        var measurement = fixture.Run(state, "OutsideWindows", seed: 7);
        Assert.True(measurement.Verified, measurement.Error);
    }

    [Fact]
    public void A_block_stride_past_the_int_range_compiles_and_verifies()
    {
        // Every index fits an int (7 x 2^28), but one block of 8 has a stride of 2^31, times a block
        // index that is always 0: printed as a literal it was a long, and the kernel did not compile.
        var spec = SpecReader.Read("""{"name":"wide","compute":"C[i] += A[i*268435456]","shape":{"i":8},"tensors":{"A":[8]}}""", "test")[0];
        var op = OperatorBuilder.Build(spec);
        var state = new EtirState(op, Schedule.Parse("block=8 thread=1 reduce=-"));

        var source = CSharpKernelGenerator.Generate(state, "WideStride").Text;
        var measurement = fixture.Run(state, "WideStride", seed: 7);

        Assert.Contains("int.MinValue * g_b0", source);
        Assert.True(measurement.Verified, measurement.Error);
    }
}
