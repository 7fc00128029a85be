using Gensor.Backend.Compilation;
using Gensor.Backend.Launch;
using Gensor.Backend.Lowering;
using Gensor.Backend.Lowering.Ir;
using Gensor.Backend.Runtime;
using Gensor.Etir;
using Gensor.FrontEnd;
using Gensor.Reference;
using Gensor.Tests.Support;

namespace Gensor.Tests.FrontEnd;

/// <summary>
/// The front end fuses axes that are one contiguous run in every tensor (AxisFusion): a 1×1
/// convolution over NCHW tensors becomes a batched matrix product over its pixels, and the
/// result, element for element, is still the operator the user wrote.
/// </summary>
[Collection(CpuDeviceCollection.Name)]
public sealed class AxisFusionTests(CpuDeviceFixture fixture)
{
    private const string Pointwise = "O[b,f,y,x] += I[b,c,y,x] * W[f,c]";

    [Fact]
    public void A_pointwise_convolution_fuses_its_pixels_into_one_axis()
    {
        var op = Operators.Parse(Pointwise, "b=2,f=8,y=14,x=14,c=4");

        Assert.Equal(["b", "f", "y_x", "c"], op.Axes.Select(axis => axis.Name));
        var pixels = op.AxisNamed("y_x");
        Assert.Equal(196, pixels.Extent);
        Assert.Equal(["y", "x"], pixels.FusedFrom);
        Assert.Equal([2, 8, 196], op.Output.Shape);
        Assert.Equal([2, 4, 196], op.InputNamed("I").Shape);
        Assert.Equal([8, 4], op.InputNamed("W").Shape);
        Assert.Equal("(I[b,c,y_x] * W[f,c])", op.Body.ToString());
    }

    [Theory]
    [InlineData("O[b,f,y,x] += I[b,c,y+r-1,x+s-1] * W[f,c,r,s]", "b=1,f=4,y=6,x=6,c=2,r=3,s=3")] // windows: shifted reads
    [InlineData("C[m,n] = A[n,m]", "m=4,n=6")] // a transpose: the axes are neighbours in another order
    [InlineData("C[m,n] = A[m,n] + B[n]", "m=4,n=6")] // B uses n without m
    [InlineData("C[m,n] += A[m,k] * B[k,n]", "m=4,n=6,k=8")] // a matrix product: nothing is contiguous in every tensor
    public void Axes_that_are_not_one_run_in_every_tensor_stay_apart(string compute, string shape)
    {
        var op = Operators.Parse(compute, shape);

        Assert.All(op.Axes, axis => Assert.Empty(axis.FusedFrom));
        Assert.Equal(SpecReader.ParseShape(shape).Keys, op.Axes.Select(axis => axis.Name));
    }

    [Fact]
    public void A_tensor_whose_rows_are_longer_than_the_axis_keeps_its_axes_apart()
    {
        // I's rows hold 16 pixels of which x reads 14: y and x are not one run of I.
        var spec = SpecReader.Read("""{"name": "wide_rows", "compute": "O[b,f,y,x] += I[b,c,y,x] * W[f,c]", "shape": {"b": 1, "f": 4, "y": 14, "x": 14, "c": 2}, "tensors": {"I": [1, 2, 14, 16]}}""", "test")[0];

        var op = OperatorBuilder.Build(spec);

        Assert.Contains(op.Axes, axis => axis.Name == "x");
        Assert.Equal([1, 2, 14, 16], op.InputNamed("I").Shape);
    }

    [Fact]
    public void Three_neighbouring_axes_fuse_into_one_and_reduce_axes_fuse_too()
    {
        var elementwise = Operators.Parse("C[a,b,c] = A[a,b,c] * 2", "a=2,b=3,c=5");
        var pooling = Operators.Parse("O[n,c] += I[n,c,r,s]", "n=2,c=3,r=7,s=7");

        Assert.Equal(["a", "b", "c"], Assert.Single(elementwise.Axes).FusedFrom);
        Assert.Equal(30, elementwise.Axes[0].Extent);
        Assert.Equal(["n_c", "r_s"], pooling.Axes.Select(axis => axis.Name));
        Assert.Equal(AxisKind.Reduce, pooling.AxisNamed("r_s").Kind);
        Assert.Equal([6, 49], pooling.InputNamed("I").Shape);
    }

    [Fact]
    public void A_fused_axis_takes_a_fresh_name_when_its_natural_one_is_taken()
    {
        var op = Operators.Parse("C[a,b] = A[a,b] + a_b[a,b]", "a=2,b=3");

        Assert.Equal("a_b2", Assert.Single(op.Axes).Name);
    }

    [Fact]
    public void A_schedule_written_for_the_unfused_axes_is_refused_with_the_fused_axes_named()
    {
        var op = Operators.Parse(Pointwise, "b=1,f=8,y=4,x=4,c=4");

        var why = Gensor.Analysis.OperatorAnalysis.Of(op).CheckStructure(Schedule.Parse("block=1x8x4x4 thread=1x2x2x2 reduce=4"));

        Assert.Equal("the schedule needs 3 block, thread and vthread sizes, one per spatial axis (b; f; y_x, fused from y and x)", why);
    }

    [Fact]
    public void The_reference_of_the_fused_operator_is_the_pointwise_convolution_as_written()
    {
        var op = Operators.Parse(Pointwise, "b=2,f=3,y=5,x=7,c=4");
        var inputs = InputGenerator.Generate(op, seed: 3);
        var (input, weight) = (inputs["I"], inputs["W"]);

        var values = ReferenceEvaluator.Evaluate(op, inputs).Values;

        // Written out on the unfused NCHW indices, independently of ETIR.
        for (int b = 0, at = 0; b < 2; b++)
        for (var f = 0; f < 3; f++)
        for (var y = 0; y < 5; y++)
        for (var x = 0; x < 7; x++, at++)
        {
            var sum = 0.0;
            for (var c = 0; c < 4; c++)
            {
                sum += (double)input[((b * 4 + c) * 5 + y) * 7 + x] * weight[f * 4 + c];
            }
            Assert.Equal(sum, values[at], 1e-12);
        }
    }

    [Fact]
    public void The_fused_pixels_of_14_by_14_images_are_copied_with_128_bit_loads()
    {
        // As y and x, a copy of I could be vectorized only along rows of 14 (not a multiple of 4 from every row start).
        var op = Operators.Parse(Pointwise, "b=2,f=64,y=14,x=14,c=32");
        var kernel = KernelLowering.Lower(new EtirState(op, Schedule.Parse("block=1x64x64 thread=1x8x8 reduce=8 shared=I,W vector=4")));

        // A load of the ragged last tile (196 pixels in tiles of 64) is guarded: the value of a select.
        static IrExpr? Loaded(IrExpr? value) => value is IrExpr.Select select ? select.Then : value;
        var loads = kernel.Statements.Select(statement => statement switch
        {
            IrStmt.Declare { Init: { } init } => Loaded(init),
            IrStmt.Assign assign => Loaded(assign.Value),
            _ => null,
        }).OfType<IrExpr.Load>().Where(load => load.Buffer.Scope == BufferScope.Global).ToList();

        Assert.Contains(loads, load => load.Buffer.Tensor == "I" && load.Width == 4);
        Assert.DoesNotContain(loads, load => load.Buffer.Tensor == "I" && load.Width != 4);
    }

    [Fact]
    public void A_kernel_tiled_and_vectorized_along_the_fused_pixels_verifies_on_the_cpu_accelerator()
    {
        // 6 × 6 pixels: a tile of 8 along the fused axis crosses rows of the image, and the ragged last tile is guarded.
        var op = Operators.Parse(Pointwise, "b=2,f=8,y=6,x=6,c=8");
        var schedule = Schedule.Parse("block=1x8x8 thread=1x2x4 reduce=4 shared=I,W vector=4");
        var source = CSharpKernelGenerator.Generate(new EtirState(op, schedule), "FusedKernel");
        var compiled = RoslynKernelCompiler.Compile([source]).Single();
        Assert.Null(compiled.Error);

        using var runner = new KernelRunner(fixture.Device, op, seed: 5);
        var measurement = runner.Run(compiled, MeasureOptions.Simulated);

        Assert.True(measurement.Verified, measurement.Error);
    }
}
