using System.Text.RegularExpressions;
using Gensor.Backend.Compilation;
using Gensor.Backend.Lowering;
using Gensor.Backend.Runtime;
using Gensor.Etir;
using Gensor.Reference;
using Gensor.Tests.Support;

namespace Gensor.Tests.Backend;

/// <summary>
/// Verification of real kernels on the CPU accelerator (issue 13, item 1): a
/// kernel that skips an element or writes NaN where the reference is finite is
/// caught, whatever the reference holds at that element.
/// </summary>
[Collection(CpuDeviceCollection.Name)]
public sealed class VerificationRunTests(CpuDeviceFixture fixture)
{
    private static readonly Schedule OnePerThread = Schedule.Parse("block=16 thread=1 reduce=-");

    // The kernel's one store to the output, with the element index it computes.
    private static readonly Regex Store = new(@"t_C\[(?<index>[^\]]+)\] =");

    private Measurement RunEdited(Operator op, Func<string, string> edit)
    {
        var source = CSharpKernelGenerator.Generate(new EtirState(op, OnePerThread), "EditedKernel");
        var edited = edit(source.Text);
        Assert.NotEqual(source.Text, edited);
        var compiled = RoslynKernelCompiler.Compile([source with { Text = edited }]).Single();
        Assert.Null(compiled.Error);
        using var runner = new KernelRunner(fixture.Device, op, seed: 3);
        return runner.Run(compiled, MeasureOptions.Simulated);
    }

    [Theory]
    // Integers up to 8 overflow every output (exp of a sum of 64 products up to 64, a sum times 1024 stored in
    // f16) where random inputs do not: every correct kernel failed "on integer inputs" (found by fuzzing). The
    // run falls back to integers of 1, on which these outputs stay finite.
    [InlineData("C[m,n] += A[m,k] * B[k,n]", "m=1,n=1,k=64", "exp(C[m,n])", "f32", "block=1x1 thread=1x1 reduce=16", 5)]
    [InlineData("y[i] += A[i,j] * 1024", "i=2,j=256", null, "f16", "block=2 thread=1 reduce=16", 1)]
    public void Integer_inputs_that_overflow_every_output_give_way_to_smaller_ones(string compute, string shape, string? epilogue, string dtype, string schedule, int seed)
    {
        var op = Operators.Parse(compute, shape, epilogue, dtype);
        var magnitude = InputGenerator.IntegerMagnitude(op)!.Value;
        Assert.False(ReferenceEvaluator.Evaluate(op, InputGenerator.GenerateIntegers(op, seed, magnitude)).HasCheckableElement());
        var compiled = RoslynKernelCompiler.Compile([CSharpKernelGenerator.Generate(new EtirState(op, Schedule.Parse(schedule)), "Overflowing")]).Single();

        using var runner = new KernelRunner(fixture.Device, op, seed);
        var measurement = runner.Run(compiled, MeasureOptions.Simulated);

        Assert.True(measurement.Verified, measurement.Error);
    }

    [Fact]
    public void A_kernel_that_never_writes_an_element_fails_even_where_the_reference_is_NaN()
    {
        // sqrt of a negative input is NaN in the reference; the kernel skips exactly such an element.
        var op = Operators.Parse("C[m] = sqrt(A[m])", "m=16");
        var skipped = Array.FindIndex(InputGenerator.Generate(op, 3)["A"], a => a < 0);
        Assert.True(skipped >= 0);

        var measurement = RunEdited(op, text => Store.Replace(text, $"if (${{index}} != {skipped}) t_C[${{index}}] =", 1));

        Assert.False(measurement.Verified);
        Assert.Contains("never written", measurement.Error);
        Assert.Contains($"element {skipped}", measurement.Error);
    }

    [Fact]
    public void A_kernel_that_writes_NaN_where_the_reference_is_finite_fails()
    {
        var op = Operators.Parse("C[m] = A[m] * 2", "m=16");

        var measurement = RunEdited(op, text => Store.Replace(text, "t_C[${index}] = ${index} == 5 ? float.NaN :", 1));

        Assert.False(measurement.Verified);
        Assert.Contains("element 5 is NaN", measurement.Error);
    }

    [Fact]
    public void A_correct_kernel_is_verified_and_reports_the_tolerance_it_met()
    {
        var op = Operators.Parse("C[m] = A[m] * 1000.1 - A[m] * 1000", "m=16");
        var source = CSharpKernelGenerator.Generate(new EtirState(op, OnePerThread), "GoodKernel");
        var compiled = RoslynKernelCompiler.Compile([source]).Single();
        using var runner = new KernelRunner(fixture.Device, op, seed: 3);

        var measurement = runner.Run(compiled, MeasureOptions.Simulated);

        Assert.True(measurement.Verified, measurement.Error);
        Assert.InRange(measurement.MaxAbsError, 0, measurement.Tolerance);
        Assert.True(measurement.Tolerance > 1e-5, "a fixed relative slack of 1e-5 rejected this rounding before");
    }
}
